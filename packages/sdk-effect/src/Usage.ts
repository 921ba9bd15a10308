import type { Usage } from "@tidebase/api"
import { Effect } from "effect"
import type { TidebaseRequestError } from "./Errors.js"
import { request } from "./Request.js"
import type { RunContext } from "./RunContext.js"
import { usageKey } from "./StepScope.js"
import type { StepScope } from "./StepScope.js"

/** One usage record: what was used and what it cost. Counts and cost cannot be negative. */
export interface UsageFields {
  /** Default `custom`; e.g. `llm`, `tool`, `embedding`. */
  readonly kind?: string
  readonly provider?: string | null
  readonly model?: string | null
  readonly label?: string | null
  readonly quantity?: number | null
  readonly unit?: string | null
  readonly inputTokens?: number | null
  readonly outputTokens?: number | null
  /** Derived by the server as input + output when not given. */
  readonly totalTokens?: number | null
  readonly costUsd?: number | null
  readonly metadata?: unknown
  /** The step the usage belongs to; the step the record is made in by default. */
  readonly stepId?: string | null
  /**
   * A record whose key the run has seen is counted once. Made by the SDK when not given; give
   * your own to retry a record yourself (the SDK's transport retries reuse its key already).
   */
  readonly idempotencyKey?: string
}

export interface UsageRecorded {
  /** The record as stored: the first one when `deduplicated`. */
  readonly usage: Usage
  /** The key was seen before: nothing was added. */
  readonly deduplicated: boolean
  /** The run is over its budget: its next step stops it with `BudgetExceededError`. */
  readonly budgetExceeded: boolean
}

export interface BoundUsage {
  readonly record: (fields: UsageFields) => Effect.Effect<UsageRecorded, TidebaseRequestError>
}

/**
 * `POST /runs/:runId/usage` for `run`, made in the step `scope` reads at each call. Each record is
 * keyed before its first attempt, so a transport retry of one whose answer was lost is counted
 * once. A step served from its checkpoint does not run its function, so it records nothing again.
 * Recording needs no lease: the cost was incurred whoever holds the run.
 */
export const bindUsage = (run: RunContext, scope: Effect.Effect<StepScope | null>): BoundUsage => ({
  record: (fields) =>
    Effect.gen(function*() {
      const step = yield* scope
      const payload = {
        ...fields,
        stepId: fields.stepId === undefined ? step?.stepId ?? null : fields.stepId,
        idempotencyKey: fields.idempotencyKey ?? usageKey(run.runId, step)
      }
      const answer = yield* request(run.client.usage.record({ path: { runId: run.runId }, payload }), { runId: run.runId }).pipe(
        Effect.catchTag("RunNotFoundError", Effect.die)
      )
      if (answer.budgetExceeded) run.overBudget = true
      return answer
    })
})
