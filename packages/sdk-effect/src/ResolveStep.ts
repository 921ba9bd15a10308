import type { Run, Step } from "@tidebase/api"
import type { StepResolution } from "@tidebase/domain"
import { Data, Effect } from "effect"
import type { RunCancelledError, RunNotFoundError, TidebaseRequestError } from "./Errors.js"
import { request } from "./Request.js"
import type { TidebaseClient } from "./TidebaseClient.js"
import type { Context } from "effect"

export interface ResolveStepOptions {
  /** `retry` lets the next invocation run the step again; `complete` records `output` as its checkpoint; `fail` fails the run for good. */
  readonly action: StepResolution
  readonly output?: unknown
  /** Who decided: recorded on the step and in the `step.resolved` event. */
  readonly actor: string
  readonly reason?: string | null
}

/**
 * The step cannot be resolved: it is not awaiting a decision (`step_not_resolvable`: not in
 * manual_review or failed_retryable, or already resolved), unknown (`step_not_found`), or its
 * run is completed (`run_completed`).
 */
export class StepNotResolvableError extends Data.TaggedError("StepNotResolvableError")<{
  readonly runId: string
  readonly stepId: string
  readonly code: "step_not_resolvable" | "step_not_found" | "run_completed"
  readonly reason: string
}> {
  override get message() {
    return `step ${this.stepId} of run ${this.runId} cannot be resolved: ${this.reason}`
  }
}

export type ResolveStepError = StepNotResolvableError | RunNotFoundError | RunCancelledError | TidebaseRequestError

/** `POST /runs/:runId/steps/:stepId/resolve`: a person's decision on a parked step; needs no lease. */
export const resolveStep = (
  client: Context.Tag.Service<TidebaseClient>,
  runId: string,
  stepId: string,
  options: ResolveStepOptions
): Effect.Effect<{ readonly step: Step; readonly run: Run }, ResolveStepError> => {
  const refused = (e: { readonly code: StepNotResolvableError["code"]; readonly error: string }) =>
    Effect.fail(new StepNotResolvableError({ runId, stepId, code: e.code, reason: e.error }))
  return request(
    client.steps.resolve({ path: { runId, stepId }, payload: options }).pipe(
      Effect.catchTags({ StepNotResolvable: refused, StepNotFound: refused, RunAlreadyCompleted: refused })
    ),
    { runId }
  )
}
