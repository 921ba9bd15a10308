import { Either } from "effect"
import { checkRunFence, requireRun } from "./Decide.js"
import type { Fence } from "./Decide.js"
import { LeaseLost, RunCancelled, RunNotFound, StateNotFound } from "./Errors.js"
import { SnapshotCreated, StateSaved, StateUpdated } from "./Events.js"
import type { RunEvent } from "./Events.js"
import type { StateImportance, StateVersion } from "./Records.js"
import type { RunAggregate, RunState } from "./Run.js"

export type StateWriteError = RunNotFound | RunCancelled | LeaseLost

/** The run's own state stream: where `PUT`/`PATCH` write when they name no stream, and snapshots by default. */
export const runStream = (runId: string) => `run:${runId}`

/** What every state write may say about the version it makes. */
export interface VersionFields {
  readonly label?: string | null | undefined
  readonly reason?: string | null | undefined
  readonly importance?: StateImportance | undefined
  readonly metadata?: unknown
  readonly createdBy?: string | null | undefined
  /** The step the write was made in, when a worker says so. */
  readonly stepId?: string | null | undefined
}

interface WriteBase extends VersionFields {
  readonly runId: string
  /** A worker's run lease: a fenced-out holder is refused; a write with none is accepted (v0.6 clients, a product UI). */
  readonly fence: Fence | undefined
  readonly newVersionId: string
  /** Used as the stream's id when this write creates the stream. */
  readonly newStreamId: string
  readonly now: number
}

export interface WriteState extends WriteBase {
  /** The stream's name; the run's own stream when absent. */
  readonly stream?: string | undefined
  /** `replace` is PUT; `merge` is PATCH, a shallow merge into the current value. */
  readonly mode: "replace" | "merge"
  readonly value: unknown
}

export interface SaveState extends WriteBase {
  readonly stream?: string | undefined
  readonly label: string
}

export interface CreateSnapshot extends WriteBase {
  readonly label: string
  readonly value: unknown
  /** The snapshot's stream is `type:id`; the run itself when absent. */
  readonly target?: { readonly type: string; readonly id: string } | undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A shallow merge: the patch's keys replace the current value's; a current value that is not an object counts as empty. */
export const mergeState = (current: unknown, patch: Record<string, unknown>): Record<string, unknown> => ({
  ...(isRecord(current) ? current : {}),
  ...patch
})

const writable = (state: RunAggregate, cmd: WriteBase): Either.Either<RunState, StateWriteError> =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<RunState, StateWriteError> => {
    if (run.status === "cancelled") return Either.left(new RunCancelled({ run }))
    return Either.map(checkRunFence(run, cmd.fence), () => run)
  })

/** The next version of `stream`: 1 for a new stream, else one past its head, so versions never skip. */
const nextVersion = (
  state: RunAggregate,
  cmd: WriteBase,
  stream: string,
  value: unknown,
  patch: unknown,
  importance: StateImportance
): StateVersion => {
  const head = state.stateStreams.get(stream)
  return {
    id: cmd.newVersionId,
    streamId: head?.id ?? cmd.newStreamId,
    runId: cmd.runId,
    stepId: cmd.stepId ?? null,
    version: (head?.currentVersion ?? 0) + 1,
    value,
    patch,
    label: cmd.label ?? null,
    reason: cmd.reason ?? null,
    importance: cmd.importance ?? importance,
    metadata: cmd.metadata ?? {},
    createdBy: cmd.createdBy ?? null,
    createdAt: new Date(cmd.now).toISOString()
  }
}

export const decideWriteState = (state: RunAggregate, cmd: WriteState) =>
  Either.map(writable(state, cmd), (): ReadonlyArray<RunEvent> => {
    const stream = cmd.stream ?? runStream(cmd.runId)
    const current = state.stateStreams.get(stream)?.currentValue
    const merge = cmd.mode === "merge" && isRecord(cmd.value)
    const value = merge ? mergeState(current, cmd.value as Record<string, unknown>) : cmd.value
    const stateVersion = nextVersion(state, cmd, stream, value, merge ? cmd.value : null, "normal")
    return [
      new StateUpdated({ stream, value, ...(merge ? { patch: cmd.value } : {}), stateVersion, at: stateVersion.createdAt })
    ]
  })

/** Labels the stream's current value as a version of its own (the value does not change). */
export const decideSaveState = (state: RunAggregate, cmd: SaveState) =>
  Either.flatMap(writable(state, cmd), (): Either.Either<ReadonlyArray<RunEvent>, StateNotFound> => {
    const stream = cmd.stream ?? runStream(cmd.runId)
    const head = state.stateStreams.get(stream)
    if (head === undefined) return Either.left(new StateNotFound({ runId: cmd.runId, stream }))
    const stateVersion = nextVersion(state, cmd, stream, head.currentValue, null, "milestone")
    return Either.right([new StateSaved({ stream, stateVersion, at: stateVersion.createdAt })])
  })

export const snapshotStream = (cmd: Pick<CreateSnapshot, "runId" | "target">) =>
  cmd.target === undefined ? runStream(cmd.runId) : `${cmd.target.type}:${cmd.target.id}`

/** A snapshot is a labeled version with the given value, in its target's stream. */
export const decideSnapshot = (state: RunAggregate, cmd: CreateSnapshot) =>
  Either.map(writable(state, cmd), (): ReadonlyArray<RunEvent> => {
    const stream = snapshotStream(cmd)
    const stateVersion = nextVersion(state, cmd, stream, cmd.value, null, "milestone")
    return [new SnapshotCreated({ stream, stateVersion, at: stateVersion.createdAt })]
  })
