import { Either } from "effect"
import { requireRun } from "./Decide.js"
import { RunAlreadyCompleted } from "./Errors.js"
import { GateResolved, RunCancelledEvent } from "./Events.js"
import type { RunEvent } from "./Events.js"
import type { RunAggregate } from "./Run.js"

/** Who a cancel with no `actor` is recorded as. */
export const DEFAULT_CANCEL_ACTOR = "api"
/** A run cancelled by its deadline: this reason, by this actor. */
export const DEADLINE_REASON = "deadline"
export const DEADLINE_ACTOR = "system:deadline"

/** A run not yet over whose deadline has passed. */
export const isOverdue = (state: RunAggregate, now: number) =>
  state.run !== undefined && state.run.deadlineAt !== null && Date.parse(state.run.deadlineAt) <= now &&
  state.run.status !== "completed" && state.run.status !== "cancelled"

/** What a deadline sweep decides for a run: its cancel if overdue, nothing otherwise (already over, or not due). */
export const decideDeadline = (state: RunAggregate, now: number): ReadonlyArray<RunEvent> =>
  isOverdue(state, now)
    ? Either.getOrElse(decideCancel(state, { runId: state.run!.id, reason: DEADLINE_REASON, actor: DEADLINE_ACTOR, now }), () => [])
    : []

export interface CancelRun {
  readonly runId: string
  readonly reason: string | null
  readonly actor: string | null
  readonly now: number
}

/**
 * Authoritative and one-way: a cancelled run stays cancelled (a second cancel changes nothing),
 * a completed run cannot be cancelled, and every gate still pending is resolved `canceled` in the
 * same append, so no one waits on a decision that can no longer matter. Needs the run's pending gates loaded.
 */
export const decideCancel = (state: RunAggregate, cmd: CancelRun) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<ReadonlyArray<RunEvent>, RunAlreadyCompleted> => {
    if (run.status === "cancelled") return Either.right([])
    if (run.status === "completed") return Either.left(new RunAlreadyCompleted({ run }))
    const at = new Date(cmd.now).toISOString()
    const actor = cmd.actor ?? DEFAULT_CANCEL_ACTOR
    const gates = [...state.gates.values()].filter((gate) => gate.status === "pending").map((gate) =>
      new GateResolved({
        gate: { ...gate, status: "canceled", decision: "canceled", actor, decisionPayload: null, updatedAt: at, resolvedAt: at },
        at
      })
    )
    return Either.right([new RunCancelledEvent({ reason: cmd.reason, actor, at }), ...gates])
  })
