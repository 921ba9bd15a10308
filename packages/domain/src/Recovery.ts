import { Either } from "effect"
import { requireRun } from "./Decide.js"
import { NoRecoveryWebhook, RecoveryNotFound } from "./Errors.js"
import { RecoveryDelivered, RecoveryFailed, RecoveryStarted } from "./Events.js"
import type { RunEvent } from "./Events.js"
import type { RecoveryAttempt } from "./Records.js"
import type { RunAggregate, RunState } from "./Run.js"

const iso = (ms: number) => new Date(ms).toISOString()

/** The body a recovery webhook carries: the run to resume, why, and its lease epoch when it stopped. */
export const resumeBody = (run: RunState, reason: string) =>
  JSON.stringify({ type: "run.resume", runId: run.id, workflowName: run.workflowName, reason, attempt: run.attempt })

/**
 * A `run.resume` call owed to the run's recovery webhook, as an event of the run: written in the
 * same append as the failure that causes it, so it is never lost between commit and send.
 * Nothing when the run has no webhook.
 */
export const recoveryFor = (run: RunState, id: string, reason: string, now: number): ReadonlyArray<RunEvent> =>
  run.recoveryWebhook === null ? [] : [callStarted(run.id, id, run.recoveryWebhook, reason, resumeBody(run, reason), now)]

/** An outbound call to run a run (`run.resume`, `run.invoke`), owed from now. */
const callStarted = (runId: string, id: string, url: string, reason: string, body: string, now: number) =>
  new RecoveryStarted({
    attempt: {
      id,
      runId,
      url,
      reason,
      body,
      status: "pending",
      tries: 0,
      nextAttemptAt: iso(now),
      httpStatus: null,
      responseBody: null,
      error: null,
      createdAt: iso(now),
      updatedAt: iso(now)
    },
    at: iso(now)
  })

/** The reason of a push queue's `run.invoke` call, recorded like a recovery call's. */
export const INVOKE_REASON = "invoke"

/**
 * A push queue's call to run a run it just claimed for the app (`run.invoke` to the queue's
 * `invokeUrl`): an outbound call like `run.resume`, through the same outbox, with the claim's
 * lease owner, under which the app takes the run at once.
 */
export const invokeFor = (run: RunState, id: string, url: string, leaseOwner: string, now: number): RunEvent =>
  callStarted(
    run.id,
    id,
    url,
    INVOKE_REASON,
    JSON.stringify({ type: "run.invoke", runId: run.id, workflowName: run.workflowName, reason: "queued", attempt: run.attempt, leaseOwner }),
    now
  )

export interface RecoverRun {
  readonly runId: string
  readonly reason: string | null
  readonly newRecoveryId: string
  readonly now: number
}

/** A person (or the API) asks for a `run.resume` call now: owed like a failure's, refused without a webhook. */
export const decideRecover = (state: RunAggregate, cmd: RecoverRun) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<ReadonlyArray<RunEvent>, NoRecoveryWebhook> =>
    run.recoveryWebhook === null
      ? Either.left(new NoRecoveryWebhook({ runId: run.id }))
      : Either.right(recoveryFor(run, cmd.newRecoveryId, cmd.reason ?? "manual", cmd.now)))

/** The id of the call a stall owes: one per run lease epoch, so an expiry is reported once. */
export const stallRecoveryId = (runId: string, attempt: number) => `stall_${runId}_${attempt}`

/**
 * A run whose worker stopped renewing its lease (it died, or hangs) owes its recovery webhook a
 * `run.resume` with reason `lease_expired`, once per lease epoch. Needs that call loaded (by
 * `stallRecoveryId`) to know it is not owed already.
 */
export const decideStall = (state: RunAggregate, now: number): ReadonlyArray<RunEvent> => {
  const run = state.run
  if (run === undefined || run.status !== "running" || run.recoveryWebhook === null) return []
  if (run.leaseExpiresAt === null || Date.parse(run.leaseExpiresAt) > now) return []
  const id = stallRecoveryId(run.id, run.attempt)
  return state.recoveries.has(id) ? [] : recoveryFor(run, id, "lease_expired", now)
}

export interface RecordRecoveryTry {
  readonly runId: string
  readonly recoveryAttemptId: string
  readonly httpStatus: number | null
  readonly responseBody: string | null
  readonly error: string | null
  /** When to try again if this try failed; null: it was the last. */
  readonly retryAt: number | null
  readonly now: number
}

/** A 2xx answer delivers the call; anything else is a failed try, retried at `retryAt` unless it was the last. */
export const isDelivered = (httpStatus: number | null): httpStatus is number => httpStatus !== null && httpStatus >= 200 && httpStatus < 300

/** One try of an outbound call as its event records it (recovery calls and channel deliveries alike): delivered on a 2xx, else failed. */
export const tryOutcome = (cmd: Omit<RecordRecoveryTry, "runId" | "recoveryAttemptId">, triesBefore: number) => {
  const tries = triesBefore + 1
  const at = iso(cmd.now)
  const { error, httpStatus, responseBody, retryAt } = cmd
  return isDelivered(httpStatus)
    ? { delivered: true as const, fields: { httpStatus, responseBody, tries, at } }
    : { delivered: false as const, fields: { httpStatus, responseBody, error, tries, nextAttemptAt: retryAt === null ? null : iso(retryAt), at } }
}

/**
 * Records one try of a recovery call. A try on a call already delivered or given up on records
 * nothing (two dispatchers that raced on one call record it once).
 */
export const decideRecoveryTry = (state: RunAggregate, cmd: RecordRecoveryTry) =>
  Either.flatMap(requireRun(state, cmd.runId), (): Either.Either<ReadonlyArray<RunEvent>, RecoveryNotFound> => {
    const attempt: RecoveryAttempt | undefined = state.recoveries.get(cmd.recoveryAttemptId)
    if (attempt === undefined) return Either.left(new RecoveryNotFound({ runId: cmd.runId, recoveryAttemptId: cmd.recoveryAttemptId }))
    if (attempt.status !== "pending") return Either.right([])
    const outcome = tryOutcome(cmd, attempt.tries)
    return Either.right([
      outcome.delivered
        ? new RecoveryDelivered({ recoveryAttemptId: attempt.id, ...outcome.fields })
        : new RecoveryFailed({ recoveryAttemptId: attempt.id, ...outcome.fields })
    ])
  })
