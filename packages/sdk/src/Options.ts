import type { ReplayMode } from "@tidebase/domain"
import type { Schema } from "effect"

export interface TidebaseOptions {
  /** Default `TIDEBASE_URL`, else `http://localhost:7373`. */
  readonly url?: string
  /** Default `TIDEBASE_API_KEY`. */
  readonly apiKey?: string
  /** Verifies incoming webhooks; default `TIDEBASE_WEBHOOK_SECRET`. */
  readonly webhookSecret?: string
}

export interface RunOptions<I = any> {
  /** Your id for the run: re-invoking with it resumes the run instead of starting another. */
  readonly runId?: string
  readonly input?: I
  readonly metadata?: unknown
  readonly recoveryWebhook?: string | null
  readonly channels?: unknown
  readonly leaseMs?: number
}

export interface StepOptions<T = unknown> {
  /** Hashed and checked on replay: a checkpoint written for other input is refused, never reused. */
  readonly input?: unknown
  /** An Effect Schema for the output, so a Date or a branded value comes back as itself on replay. */
  readonly output?: Schema.Schema<T, any, never>
  /** Retries after the first attempt, with exponential backoff from 100 ms. */
  readonly retries?: number
  readonly timeoutMs?: number
  /** Systems the step writes to (`read` for none). An unkeyed write parks a final failure in manual_review. */
  readonly sideEffects?: ReadonlyArray<string>
  readonly idempotencyKey?: string
  readonly replay?: ReplayMode
  readonly checkpointInvariant?: string
  readonly verifiedBy?: string
  /** A step without side effects still running after this long (default 1000) shows as running on the server. */
  readonly announceAfterMs?: number
}
