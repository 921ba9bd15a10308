import { Either } from "effect"
import { requireRun } from "./Decide.js"
import { ChildRunIdTaken, RunCancelled, RunNotFound } from "./Errors.js"
import { RunChildCreated, RunCreated } from "./Events.js"
import type { RunEvent } from "./Events.js"
import type { RunEdge } from "./Records.js"
import type { RunAggregate } from "./Run.js"

/** The edge type of a child made without one. */
export const DEFAULT_EDGE_TYPE = "child"

export interface CreateChild {
  readonly parentRunId: string
  /** The edge's name: the idempotency key of the child under its parent. */
  readonly name: string
  readonly childRunId: string
  readonly edgeId: string
  readonly workflowName: string
  readonly input: unknown
  readonly metadata: unknown
  readonly recoveryWebhook: string | null
  readonly channels: unknown
  readonly edgeType: string | null
  readonly edgeMetadata: unknown
  readonly now: number
}

export type ChildOutcome =
  /** New: `parent` events go on the parent's stream, `child` on the child's, in one append. */
  | { readonly created: true; readonly edge: RunEdge; readonly parent: ReadonlyArray<RunEvent>; readonly child: ReadonlyArray<RunEvent> }
  /** The parent made this child before: the same edge and child, nothing appended. */
  | { readonly created: false; readonly edge: RunEdge }

/**
 * Idempotent by (parent, name): the first call makes the child, every later one answers its edge,
 * whatever else it asks. Decided on the parent with that edge loaded and on the child id's stream
 * (absent unless the caller chose an id that is already a run).
 */
export const decideCreateChild = (parent: RunAggregate, child: RunAggregate | undefined, cmd: CreateChild) =>
  Either.flatMap(requireRun(parent, cmd.parentRunId), (run): Either.Either<ChildOutcome, RunCancelled | ChildRunIdTaken | RunNotFound> => {
    const existing = parent.edges.get(cmd.name)
    if (existing !== undefined) return Either.right({ created: false, edge: existing })
    if (run.status === "cancelled") return Either.left(new RunCancelled({ run }))
    if (child?.run !== undefined) return Either.left(new ChildRunIdTaken({ runId: cmd.childRunId }))
    const at = new Date(cmd.now).toISOString()
    const edge: RunEdge = {
      id: cmd.edgeId,
      parentRunId: run.id,
      childRunId: cmd.childRunId,
      name: cmd.name,
      edgeType: cmd.edgeType ?? DEFAULT_EDGE_TYPE,
      metadata: cmd.edgeMetadata ?? {},
      createdAt: at
    }
    return Either.right({
      created: true,
      edge,
      parent: [new RunChildCreated({ childRun: { id: cmd.childRunId, workflowName: cmd.workflowName }, edge, at })],
      child: [
        new RunCreated({
          runId: cmd.childRunId,
          workflowName: cmd.workflowName,
          input: cmd.input,
          metadata: cmd.metadata,
          recoveryWebhook: cmd.recoveryWebhook,
          channels: cmd.channels,
          budget: null,
          parentRunId: run.id,
          edgeName: cmd.name,
          at
        })
      ]
    })
  })
