import { RunFailed, RunRequeued } from "./Events.js"
import type { RunState } from "./Run.js"

const iso = (ms: number) => new Date(ms).toISOString()

/** A queue run that names no `maxAttempts` is tried this many times. */
export const DEFAULT_MAX_ATTEMPTS = 3
/** The failure class of a queue run that used up its tries. */
export const MAX_RETRIES = "max_retries"

/** Queue retries wait `baseMs` doubling per try, capped (5 s and 5 min in the protocol). */
export interface Backoff {
  readonly baseMs: number
  readonly capMs: number
}
export const QUEUE_BACKOFF: Backoff = { baseMs: 5_000, capMs: 5 * 60_000 }

/** The wait before try `tries + 1`, after `tries` failed ones. */
export const backoffMs = (backoff: Backoff, tries: number) =>
  Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, tries - 1))

/** A queue run's tries so far: its claims, or one when a worker ran it without claiming. */
const triesOf = (run: RunState) => Math.max(1, run.claims)

/**
 * What ends a queue run's try that failed (its worker reported it, or died): back to `queued` after
 * the backoff while tries are left, otherwise failed for good with `max_retries`.
 */
export const queueFailure = (run: RunState, error: unknown, backoff: Backoff, now: number): RunRequeued | RunFailed => {
  const tries = triesOf(run)
  const maxAttempts = run.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  return tries < maxAttempts
    ? new RunRequeued({ error, attempt: tries, maxAttempts, nextRunAt: iso(now + backoffMs(backoff, tries)), at: iso(now) })
    : new RunFailed({ error, failureClass: MAX_RETRIES, at: iso(now) })
}

