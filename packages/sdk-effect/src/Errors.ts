import type { Run } from "@tidebase/api"
import type { ResumeDecision, StepStatus } from "@tidebase/domain"
import { Data, Duration } from "effect"

/** Cancellation is authoritative: the run stops at the next step boundary. */
export class RunCancelledError extends Data.TaggedError("RunCancelledError")<{
  readonly runId: string
  readonly reason: string | null
  /** Who cancelled it, when the server said. */
  readonly actor?: string | null
}> {
  override get message() {
    return `run ${this.runId} is cancelled${this.reason === null ? "" : `: ${this.reason}`}`
  }
}

/** A recovery was asked for on a run with no `recoveryWebhook`. */
export class NoRecoveryWebhookError extends Data.TaggedError("NoRecoveryWebhookError")<{ readonly runId: string }> {
  override get message() {
    return `run ${this.runId} has no recoveryWebhook to call`
  }
}

/** The run finished before it could be cancelled: it stays completed. */
export class RunAlreadyCompletedError extends Data.TaggedError("RunAlreadyCompletedError")<{
  readonly runId: string
  readonly run: Run
}> {
  override get message() {
    return `run ${this.runId} is already completed and cannot be cancelled`
  }
}

/** A checkpoint exists under this step name for different input: replaying it would be wrong. */
export class InputMismatchError extends Data.TaggedError("InputMismatchError")<{
  readonly runId: string
  readonly step: string
  readonly expectedInputHash: string
  readonly actualInputHash: string
}> {
  override get message() {
    return `step ${this.step} of run ${this.runId} was checkpointed for input ${this.expectedInputHash}, not ${this.actualInputHash}`
  }
}

/** The step may not run now: another holder's lease is live, or its failure awaits a human (manual_review, fail_hard). */
export class StepLockedError extends Data.TaggedError("StepLockedError")<{
  readonly runId: string
  readonly step: string
  readonly status: StepStatus
  readonly resumeDecision: ResumeDecision | null
}> {
  override get message() {
    return `step ${this.step} of run ${this.runId} is locked (${this.resumeDecision ?? this.status})`
  }
}

/** A person failed the run for good (a step resolved with `fail`): no invocation runs it again. */
export class RunFailedError extends Data.TaggedError("RunFailedError")<{
  readonly runId: string
  readonly failureClass: string | null
  readonly error: unknown
}> {
  override get message() {
    const reason = (this.error as { readonly message?: unknown } | null)?.message
    return `run ${this.runId} failed for good (${this.failureClass ?? "failed"})${typeof reason === "string" ? `: ${reason}` : ""}`
  }
}

/** Another worker took the run over; this one's writes are fenced off. */
export class LeaseLostError extends Data.TaggedError("LeaseLostError")<{
  readonly runId: string
  readonly step: string | null
}> {
  override get message() {
    return `lease lost on run ${this.runId}${this.step === null ? "" : ` at step ${this.step}`}`
  }
}

export class StepTimeoutError extends Data.TaggedError("StepTimeoutError")<{
  readonly step: string
  readonly timeout: Duration.Duration
}> {
  override get message() {
    return `step ${this.step} timed out after ${Duration.format(this.timeout)}`
  }
}

/** A step's final failure, recorded with the resume decision the server took from its contract. */
export class StepFailedError extends Data.TaggedError("StepFailedError")<{
  readonly runId: string
  readonly step: string
  readonly attempt: number
  readonly resumeDecision: ResumeDecision
  readonly error: unknown
}> {
  override get message() {
    return `step ${this.step} failed (${this.resumeDecision}): ${describe(this.error)}`
  }
}

/** `StepFailedError` whose `error` is what the step's effect failed with. */
export type StepFailed<E> = StepFailedError & { readonly error: E }

export class RunNotFoundError extends Data.TaggedError("RunNotFoundError")<{ readonly runId: string }> {
  override get message() {
    return `run ${this.runId} not found`
  }
}

/**
 * The server could not be reached (after retrying for `retryTransportFor`), refused the request
 * (400/401) or answered something that is not Tidebase's. `reason` says what to do about it;
 * `cause` keeps what the HTTP client or the decoder raised.
 */
export class TidebaseRequestError extends Data.TaggedError("TidebaseRequestError")<{
  readonly reason: string
  readonly cause: unknown
}> {
  override get message() {
    return this.reason
  }
}

/** Two steps of one invocation share a name: the second would silently get the first one's checkpoint. */
export class DuplicateStepName extends Data.TaggedError("DuplicateStepName")<{
  readonly runId: string
  readonly step: string
}> {
  override get message() {
    return `step name "${this.step}" is used twice in one invocation of run ${this.runId}: ` +
      `give each call its own name, e.g. \`${this.step}:\${i}\` in a loop`
  }
}

/** The run id names a run of another workflow: resuming it with this code would mix two workflows' checkpoints. */
export class WorkflowMismatch extends Data.TaggedError("WorkflowMismatch")<{
  readonly runId: string
  /** The workflow this invocation runs. */
  readonly workflowName: string
  /** The workflow the run was created for. */
  readonly runWorkflowName: string
}> {
  override get message() {
    return `run ${this.runId} belongs to workflow "${this.runWorkflowName}", not "${this.workflowName}": ` +
      `give each workflow's runs their own ids (e.g. "${this.workflowName}:<id>")`
  }
}

/**
 * A step's output that JSON cannot carry faithfully (a BigInt, Map, Set, function, symbol,
 * cycle, top-level `undefined`, NaN or ±Infinity): refused before its checkpoint is written.
 */
export class UnserializableOutput extends Data.TaggedError("UnserializableOutput")<{
  readonly runId: string
  readonly step: string
  /** Where in the output, e.g. `$.items[2].id` (`$` is the output itself). */
  readonly path: string
  /** What is there, and what to do about it. */
  readonly found: string
}> {
  override get message() {
    return `step ${this.step} returned an output JSON cannot store faithfully: ${this.path} is ${this.found} ` +
      `(or give the step an \`output\` Schema that encodes it)`
  }
}

/**
 * The run's recorded usage went over its budget, so the server stopped it at this step boundary
 * (failed, `failureClass: "budget_exceeded"`, resume decision manual_review) instead of running
 * more. Raise the budget (`runs.setBudget`) and re-invoke the run: completed steps replay.
 */
export class BudgetExceededError extends Data.TaggedError("BudgetExceededError")<{
  readonly runId: string
  /** The run as the server stopped it: its budget and usage totals say by how much. */
  readonly run: Run
}> {
  override get message() {
    const { budget, usageTotals } = this.run
    const spent = [
      ...(budget?.maxCostUsd == null ? [] : [`$${usageTotals.costUsd} of $${budget.maxCostUsd}`]),
      ...(budget?.maxTotalTokens == null ? [] : [`${usageTotals.totalTokens} of ${budget.maxTotalTokens} tokens`])
    ]
    return `run ${this.runId} is over its budget${spent.length === 0 ? "" : ` (${spent.join(", ")})`}: ` +
      `raise it (runs.setBudget) and re-invoke the run to resume`
  }
}

/** `state.save` labels a stream's current value, and the stream has none yet. */
export class StateNotFoundError extends Data.TaggedError("StateNotFoundError")<{
  readonly runId: string
  readonly stream: string
}> {
  override get message() {
    return `run ${this.runId} has no state in stream ${this.stream} to save: set it first`
  }
}

/** A state value JSON cannot carry faithfully (see `UnserializableOutput`): refused before it is sent. */
export class UnserializableState extends Data.TaggedError("UnserializableState")<{
  readonly runId: string
  readonly stream: string
  /** Where in the value, e.g. `$.items[2].id` (`$` is the value itself). */
  readonly path: string
  readonly found: string
}> {
  override get message() {
    return `state for stream ${this.stream} of run ${this.runId} cannot be stored faithfully: ${this.path} is ${this.found} ` +
      `(or give the state a Schema that encodes it)`
  }
}

export type WorkflowError =
  | RunCancelledError
  | RunFailedError
  | InputMismatchError
  | StepLockedError
  | LeaseLostError
  | TidebaseRequestError
  | DuplicateStepName
  | WorkflowMismatch
  | UnserializableOutput
  | BudgetExceededError

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))
