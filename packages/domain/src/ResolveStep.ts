import { Either } from "effect"
import { MANUAL_FAIL } from "./Decide.js"
import { findStep } from "./DecideStep.js"
import { RunAlreadyCompleted, RunCancelled, RunNotFound, StepNotFound, StepNotResolvable } from "./Errors.js"
import { RunFailed, StepResolved } from "./Events.js"
import type { RunEvent, StepResolution } from "./Events.js"
import type { RunAggregate, StepState } from "./Run.js"

export type ResolveStepError = RunNotFound | RunCancelled | RunAlreadyCompleted | StepNotFound | StepNotResolvable

export interface ResolveStep {
  readonly runId: string
  readonly stepId: string
  readonly action: StepResolution
  /** Recorded as the step's checkpoint by `complete`; ignored otherwise. */
  readonly output: unknown
  readonly actor: string
  readonly reason: string | null
  readonly now: number
}


/** A failure waits for a person in these statuses, until someone resolves it once. */
export const isResolvable = (step: StepState) =>
  (step.status === "manual_review" || step.status === "failed_retryable") && step.resolution === null

/**
 * A person's decision on a parked step. It needs no lease (the worker is not the one deciding),
 * but never reopens a completed or cancelled run; `fail` fails the run too, for good: the step
 * becomes `fail_hard`, so no later invocation runs past it.
 */
export const decideResolveStep = (
  state: RunAggregate,
  cmd: ResolveStep
): Either.Either<ReadonlyArray<RunEvent>, ResolveStepError> => {
  const run = state.run
  if (run === undefined) return Either.left(new RunNotFound({ runId: cmd.runId }))
  if (run.status === "cancelled") return Either.left(new RunCancelled({ run }))
  if (run.status === "completed") return Either.left(new RunAlreadyCompleted({ run }))
  const step = findStep(state, cmd.stepId)
  if (step === undefined) return Either.left(new StepNotFound({ stepId: cmd.stepId }))
  if (!isResolvable(step)) return Either.left(new StepNotResolvable({ step }))
  const at = new Date(cmd.now).toISOString()
  const resolved = new StepResolved({
    stepId: step.id,
    name: step.name,
    action: cmd.action,
    actor: cmd.actor,
    reason: cmd.reason,
    ...(cmd.action === "complete" ? { output: cmd.output } : {}),
    at
  })
  if (cmd.action !== "fail") return Either.right([resolved])
  const error = {
    message: `step ${step.name} failed by ${cmd.actor}${cmd.reason === null ? "" : `: ${cmd.reason}`}`,
    step: step.name,
    actor: cmd.actor,
    reason: cmd.reason
  }
  return Either.right([resolved, new RunFailed({ error, failureClass: MANUAL_FAIL, at })])
}
