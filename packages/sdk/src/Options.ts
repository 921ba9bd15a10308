import type { ReplayMode } from "@tidebase/domain"
import type { BudgetInput, LeaseLostError, RunCancelledError } from "@tidebase/effect"
import type { Schema } from "effect"

export interface TidebaseOptions {
  /** Default `TIDEBASE_URL`, else `http://localhost:7373`. */
  readonly url?: string
  /** Default `TIDEBASE_API_KEY`. */
  readonly apiKey?: string
  /**
   * This worker's stable name (default `TIDEBASE_WORKER_ID`): restarted under the same name, it
   * takes its runs' leases back at once instead of waiting for them to expire.
   */
  readonly workerId?: string
  /** Verifies incoming webhooks; default `TIDEBASE_WEBHOOK_SECRET`. */
  readonly webhookSecret?: string
  /**
   * How long a request that failed to connect or got a 502/503/504 is retried, with jittered
   * backoff, so a server restart mid-run does not fail the run. Default
   * `TIDEBASE_RETRY_TRANSPORT_FOR_MS`, else 30000; 0 turns retries off.
   */
  readonly retryTransportForMs?: number
  /** How long a request may wait for its answer (default `TIDEBASE_REQUEST_TIMEOUT_MS`, else 60000). */
  readonly requestTimeoutMs?: number
}

export interface RunOptions<I = any, S = any> {
  /** Your id for the run: re-invoking with it resumes the run instead of starting another. */
  readonly runId?: string
  readonly input?: I
  readonly metadata?: unknown
  readonly recoveryWebhook?: string | null
  readonly channels?: unknown
  /**
   * Limits on the run's recorded usage (`run.usage.record`), set when the run is created; change
   * them with `tide.runs.setBudget`. Over budget, the run stops at its next step with `BudgetExceededError`.
   */
  readonly budget?: BudgetInput | null
  /** A run still going this long after it is created is cancelled (reason `deadline`): its steps in flight stop. */
  readonly deadlineMs?: number | null
  /** An Effect Schema for `run.state`, so a Date or a branded value in the state comes back as itself from `run.state.get()`. */
  readonly stateSchema?: Schema.Schema<S, any, never>
  readonly leaseMs?: number
  /** Overrides the client's `workerId` for this run. */
  readonly workerId?: string
  /** Called once if a heartbeat is refused: another worker took the run over after its lease expired, or it was cancelled. */
  readonly onLeaseLost?: (refusal: LeaseLostError | RunCancelledError) => void
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
