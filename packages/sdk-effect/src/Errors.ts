import type { ResumeDecision, StepStatus } from "@tidebase/domain"
import { Data, Duration } from "effect"

/** Cancellation is authoritative: the run stops at the next step boundary. */
export class RunCancelledError extends Data.TaggedError("RunCancelledError")<{
  readonly runId: string
  readonly reason: string | null
}> {
  override get message() {
    return `run ${this.runId} is cancelled${this.reason === null ? "" : `: ${this.reason}`}`
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

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))
