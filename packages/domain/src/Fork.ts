import { Data, Either } from "effect"
import type { RunEvent } from "./Events.js"
import { GateCreated, GateResolved, RunCreated, RunForked, SnapshotCreated, StateSaved, StateUpdated, StepCompleted, StepStarted } from "./Events.js"
import { newGateId, newStateStreamId, newStateVersionId, newStepId } from "./Ids.js"
import type { Gate, StateVersion } from "./Records.js"
import { replayRun } from "./Replay.js"

/** A fork that cannot be made as asked: `field` names the request field at fault. */
export class ForkRefused extends Data.TaggedError("ForkRefused")<{ readonly field: ReadonlyArray<string>; readonly message: string }> {}

/** Where a fork starts: after event `atSeq`, or after the last completion of step `afterStep`; neither: the whole log. */
export interface ForkPoint {
  readonly atSeq?: number | undefined
  readonly afterStep?: string | undefined
}

export interface ForkCommand extends ForkPoint {
  readonly runId: string
  readonly input?: unknown
  readonly workflowName?: string | undefined
  /** Outputs that replace those of completed steps of the prefix, by step name. */
  readonly stepOutputs?: Readonly<Record<string, unknown>> | undefined
  readonly now: Date
}

/** An event's fields, to build a copy with some of them replaced. */
const fields = <E extends { readonly _tag: string }>({ _tag, ...rest }: E): Omit<E, "_tag"> => rest

const isCompletion = (event: RunEvent): event is Extract<RunEvent, { _tag: "step.completed" | "step.resolved" }> =>
  event._tag === "step.completed" || (event._tag === "step.resolved" && event.action === "complete")

/** The seq the prefix ends at (events 1..seq are copied), or why the point names no place in the log. */
export const forkSeq = (events: ReadonlyArray<RunEvent>, point: ForkPoint): Either.Either<number, ForkRefused> => {
  if (point.atSeq !== undefined && point.afterStep !== undefined) {
    return Either.left(new ForkRefused({ field: ["afterStep"], message: "give atSeq or afterStep, not both" }))
  }
  if (point.atSeq !== undefined) {
    return point.atSeq >= 1 && point.atSeq <= events.length
      ? Either.right(point.atSeq)
      : Either.left(new ForkRefused({ field: ["atSeq"], message: `the run's events are 1..${events.length}` }))
  }
  if (point.afterStep === undefined) return Either.right(events.length)
  let seq = 0
  events.forEach((event, i) => {
    if (isCompletion(event) && event.name === point.afterStep) seq = i + 1
  })
  return seq > 0 ? Either.right(seq) : Either.left(new ForkRefused({ field: ["afterStep"], message: `no step named ${JSON.stringify(point.afterStep)} completed in this run` }))
}

/**
 * A fork's log: `run.created` for the new run, then the source's prefix (events 1..seq) as it
 * bears on a re-invocation: each step completed by then (started at its first start, completed
 * at its last completion, with `stepOutputs` replacing outputs and marked `edited`), every state
 * version, and each gate decided by a person or a timeout (approved or rejected); then
 * `run.forked`. Everything gets ids of the fork's own. Left out: failed and unfinished steps
 * (the fork runs them), pending or cancelled gates, usage (it was spent by the source, and is
 * counted there), child runs (the fork makes its own), leases, webhooks and deliveries.
 */
export const forkEvents = (source: ReadonlyArray<RunEvent>, cmd: ForkCommand): Either.Either<ReadonlyArray<RunEvent>, ForkRefused> =>
  Either.flatMap(forkSeq(source, cmd), (seq) => {
    const prefix = source.slice(0, seq)
    const created = prefix[0]
    if (created?._tag !== "run.created") return Either.left(new ForkRefused({ field: [], message: "the source run has no run.created event" }))
    const copied = replayRun(prefix).aggregate
    const completed = new Set([...copied.steps.values()].filter((s) => s.status === "completed").map((s) => s.name))
    const edits = cmd.stepOutputs ?? {}
    for (const name of Object.keys(edits)) {
      if (!completed.has(name)) {
        return Either.left(new ForkRefused({ field: ["stepOutputs", name], message: "not a step completed in the fork's prefix" }))
      }
    }
    const decidedGates = new Set([...copied.gates.values()].filter((g) => g.status === "approved" || g.status === "rejected").map((g) => g.name))

    const at = cmd.now.toISOString()
    const runId = cmd.runId
    const lastCompletion = new Map<string, number>()
    prefix.forEach((event, i) => {
      if (isCompletion(event)) lastCompletion.set(event.name, i)
    })
    const stepIds = new Map<string, string>()
    const streamIds = new Map<string, string>()
    const gateIds = new Map<string, string>()
    const idOf = (ids: Map<string, string>, key: string, make: () => string) => {
      let id = ids.get(key)
      if (id === undefined) ids.set(key, id = make())
      return id
    }
    const version = (v: StateVersion): StateVersion => ({
      ...v,
      id: newStateVersionId(),
      streamId: idOf(streamIds, v.streamId, newStateStreamId),
      runId,
      stepId: v.stepId === null ? null : stepIds.get(v.stepId) ?? null,
      createdAt: at
    })
    // The source's own state stream is the fork's own; streams about other targets keep their names.
    const stream = (name: string) => name === `run:${created.runId}` ? `run:${runId}` : name
    const gate = (g: Gate): Gate => ({ ...g, id: idOf(gateIds, g.id, newGateId), runId, createdAt: at, updatedAt: at, resolvedAt: g.resolvedAt === null ? null : at })

    const events: Array<RunEvent> = [
      new RunCreated({
        runId,
        workflowName: cmd.workflowName ?? created.workflowName,
        input: cmd.input === undefined ? created.input : cmd.input,
        metadata: created.metadata,
        recoveryWebhook: created.recoveryWebhook,
        channels: created.channels,
        budget: created.budget,
        at
      })
    ]
    prefix.forEach((event, i) => {
      switch (event._tag) {
        case "step.started":
          if (!completed.has(event.name) || stepIds.has(event.stepId)) return
          stepIds.set(event.stepId, newStepId())
          events.push(new StepStarted({ ...fields(event), stepId: stepIds.get(event.stepId)!, leaseOwner: "fork", leaseExpiresAt: at, runEpoch: null, at }))
          return
        case "step.completed":
        case "step.resolved": {
          if (!isCompletion(event) || lastCompletion.get(event.name) !== i || !completed.has(event.name)) return
          const stepId = stepIds.get(event.stepId) ?? newStepId()
          const edited = Object.hasOwn(edits, event.name)
          const output = edited ? edits[event.name] : event.output ?? null
          events.push(new StepCompleted({ stepId, name: event.name, output, ...(edited ? { edited } : {}), at }))
          return
        }
        case "state.updated":
          events.push(new StateUpdated({ ...fields(event), stream: stream(event.stream), stateVersion: version(event.stateVersion), at }))
          return
        case "state.saved":
          events.push(new StateSaved({ ...fields(event), stream: stream(event.stream), stateVersion: version(event.stateVersion), at }))
          return
        case "snapshot.created":
          events.push(new SnapshotCreated({ ...fields(event), stream: stream(event.stream), stateVersion: version(event.stateVersion), at }))
          return
        case "gate.created":
          if (decidedGates.has(event.gate.name)) events.push(new GateCreated({ gate: gate(event.gate), at }))
          return
        case "gate.resolved":
          if (decidedGates.has(event.gate.name)) events.push(new GateResolved({ gate: gate(event.gate), at }))
          return
      }
    })
    events.push(new RunForked({ sourceRunId: created.runId, atSeq: seq, editedSteps: Object.keys(edits), at }))
    return Either.right(events)
  })
