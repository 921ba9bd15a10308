import { Data } from "effect"
import type { Gate } from "./Records.js"
import type { RunState, StepState } from "./Run.js"

export class RunNotFound extends Data.TaggedError("RunNotFound")<{ readonly runId: string }> {}
export class RunCancelled extends Data.TaggedError("RunCancelled")<{ readonly run: RunState }> {}
/** Another owner's run lease is live. */
export class LeaseHeld extends Data.TaggedError("LeaseHeld")<{ readonly leaseOwner: string }> {}
/** The caller's lease was taken over, reclaimed or never existed: its write is fenced off. */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{
  readonly run: RunState
  readonly step?: StepState
}> {}
/** A completed run is final: it takes no new steps. */
export class RunAlreadyCompleted extends Data.TaggedError("RunAlreadyCompleted")<{ readonly run: RunState }> {}
export class StepNotFound extends Data.TaggedError("StepNotFound")<{ readonly stepId: string }> {}
/** The step awaits no decision: it is not parked, or a person already resolved this failure. */
export class StepNotResolvable extends Data.TaggedError("StepNotResolvable")<{ readonly step: StepState }> {}
/** The caller runs another workflow than the run was created for. */
export class WorkflowMismatch extends Data.TaggedError("WorkflowMismatch")<{ readonly run: RunState; readonly workflowName: string }> {}

/** The run has no state in that stream yet, so there is nothing to save. */
export class StateNotFound extends Data.TaggedError("StateNotFound")<{ readonly runId: string; readonly stream: string }> {}
/** The run's recorded usage is over its budget: it was stopped (failed with `budget_exceeded`) instead of running more. */
export class BudgetExceeded extends Data.TaggedError("BudgetExceeded")<{ readonly run: RunState }> {}

/** No gate of the run has this id. */
export class GateNotFound extends Data.TaggedError("GateNotFound")<{ readonly runId: string; readonly gateId: string }> {}
/** A gate resolves once: the first decision stands. */
export class GateAlreadyResolved extends Data.TaggedError("GateAlreadyResolved")<{ readonly gate: Gate }> {}
/** The resolve token is not the gate's. */
export class GateTokenMismatch extends Data.TaggedError("GateTokenMismatch")<{ readonly gate: Gate }> {}

/** A child run id the caller chose is already a run that is not this edge's child. */
export class ChildRunIdTaken extends Data.TaggedError("ChildRunIdTaken")<{ readonly runId: string }> {}

/** A recovery attempt the run does not have (the dispatcher's own bug: never a wire error). */
export class RecoveryNotFound extends Data.TaggedError("RecoveryNotFound")<{ readonly runId: string; readonly recoveryAttemptId: string }> {}

/** A channel delivery the run does not have (the dispatcher's own bug: never a wire error). */
export class DeliveryNotFound extends Data.TaggedError("DeliveryNotFound")<{ readonly runId: string; readonly deliveryId: string }> {}

/** A recovery was asked for on a run that has no recovery webhook to call. */
export class NoRecoveryWebhook extends Data.TaggedError("NoRecoveryWebhook")<{ readonly runId: string }> {}

export type DomainError =
  | RunNotFound
  | RunCancelled
  | RunAlreadyCompleted
  | LeaseHeld
  | LeaseLost
  | StepNotFound
  | WorkflowMismatch
  | StepNotResolvable
  | StateNotFound
  | BudgetExceeded
  | GateNotFound
  | GateAlreadyResolved
  | GateTokenMismatch
  | ChildRunIdTaken
  | NoRecoveryWebhook
