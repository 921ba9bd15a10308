import * as Domain from "@tidebase/domain"
import { Duration, Effect, Either, Layer, Option, Queue, Stream } from "effect"
import { createHmac } from "node:crypto"
import { PgPool } from "../Database/PgPool.js"
import { LiveEvents, OUTBOX_MOVED } from "../Events/LiveEvents.js"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"

export interface DispatcherSettings {
  /** Signs every body when set: `x-tidebase-signature: sha256=<hex HMAC-SHA256 of the body>`. */
  readonly secret: Option.Option<string>
  /** A slow endpoint is given up on (as a failed try) after this long. */
  readonly timeoutMs: number
  /** The first retry waits this long, each next one twice as long (with jitter), at most MAX_BACKOFF. */
  readonly retryMs: number
  /** Tries per call before it is given up on (`recovery.failed` with no next attempt). */
  readonly maxTries: number
}

const BATCH = 10
/** A claim outlives the slowest try: another replica takes the row over only if this one died. */
const CLAIM_SECONDS = 60
const MAX_BACKOFF_MS = 5 * 60_000
/** The dispatcher wakes at least this often (retries due, and calls other replicas owe if their NOTIFY was lost). */
const MAX_SLEEP = Duration.seconds(5)
const RESPONSE_BODY_LIMIT = 2_048

interface Claimed {
  readonly id: string
  readonly runId: string
  readonly url: string
  readonly body: string
  readonly tries: number
}

interface TryOutcome {
  readonly httpStatus: number | null
  readonly responseBody: string | null
  readonly error: string | null
}

export const signature = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`

const send = (settings: DispatcherSettings, call: Claimed): Effect.Effect<TryOutcome> =>
  Effect.promise(async (): Promise<TryOutcome> => {
    try {
      const response = await fetch(call.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(Option.isSome(settings.secret) ? { "x-tidebase-signature": signature(settings.secret.value, call.body) } : {})
        },
        body: call.body,
        signal: AbortSignal.timeout(settings.timeoutMs)
      })
      const text = await response.text().catch(() => "")
      return { httpStatus: response.status, responseBody: text.slice(0, RESPONSE_BODY_LIMIT), error: null }
    } catch (error) {
      const cause = error as { readonly name?: string; readonly message?: string; readonly cause?: { readonly message?: string } }
      const message = cause.name === "TimeoutError"
        ? `no answer within ${settings.timeoutMs} ms`
        : cause.cause?.message ?? cause.message ?? String(error)
      return { httpStatus: null, responseBody: null, error: message }
    }
  })

/** Exponential with full jitter on the upper half: retries of many calls do not land together. */
const backoffMs = (settings: DispatcherSettings, tries: number) => {
  const ceiling = Math.min(MAX_BACKOFF_MS, settings.retryMs * 2 ** (tries - 1))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/**
 * The Dispatcher: sends the outbox's recovery calls after the commit that owes them. Woken by the
 * live hub when an append owes one (a NOTIFY for other replicas), it claims due rows with
 * `FOR UPDATE SKIP LOCKED` (so replicas never send one row at once), sends them without holding
 * any run's lock, and records each try as an event of the run: delivered on 2xx, otherwise tried
 * again with backoff until `maxTries`. A call committed but not sent when a server dies is sent
 * by the next one to look (its claim lapses).
 */
export const DispatcherLive = (settings: DispatcherSettings) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const pool = yield* PgPool
      const live = yield* LiveEvents
      const { existing } = yield* RunCommandRunner

      const claim = pool.query<Claimed>({
        name: "tidebase_claim_recoveries",
        text: `with due as (
            select a.id, a.run_id, a.url, a.body, a.tries from recovery_attempts a
            left join recovery_claims c on c.id = a.id
            where a.status = 'pending' and a.next_attempt_at <= now() and (c.claimed_until is null or c.claimed_until < now())
            order by a.next_attempt_at limit $1 for update of a skip locked
          ), claimed as (
            insert into recovery_claims (id, claimed_until) select id, now() + make_interval(secs => $2) from due
            on conflict (id) do update set claimed_until = excluded.claimed_until
          )
          select id, run_id as "runId", url, body, tries from due`,
        params: [BATCH, CLAIM_SECONDS]
      })
      const msUntilNext = Effect.map(
        pool.query<{ ms: number | null }>({
          name: "tidebase_recoveries_next",
          text: `select extract(epoch from min(greatest(a.next_attempt_at, coalesce(c.claimed_until, a.next_attempt_at))) - now()) * 1000 as ms
            from recovery_attempts a left join recovery_claims c on c.id = a.id where a.status = 'pending'`,
          params: []
        }),
        (rows) => rows[0]?.ms === null || rows[0]?.ms === undefined ? null : Number(rows[0].ms)
      )

      const release = (id: string) =>
        pool.query({ name: "tidebase_release_recovery", text: "delete from recovery_claims where id = $1", params: [id] })

      const deliver = (call: Claimed) =>
        Effect.flatMap(send(settings, call), (outcome) =>
          existing(call.runId, { recovery: call.id }, (state, now) => {
            const last = call.tries + 1 >= settings.maxTries
            const retryAt = Domain.isDelivered(outcome.httpStatus) || last ? null : now + backoffMs(settings, call.tries + 1)
            return Either.map(
              Domain.decideRecoveryTry(state, { runId: call.runId, recoveryAttemptId: call.id, ...outcome, retryAt, now }),
              (events) => decided(events, () => undefined)
            )
          })).pipe(
          // The try is recorded (its next one, if any, is due at its own time): the call is free again.
          Effect.zipRight(release(call.id)),
          Effect.catchAllCause((cause) => Effect.logWarning(`recovery call ${call.id} of run ${call.runId}: its try could not be recorded`, cause)))

      const round = Effect.gen(function*() {
        const claimed = yield* claim
        yield* Effect.forEach(claimed, deliver, { concurrency: "unbounded", discard: true })
        if (claimed.length === BATCH) return Duration.zero
        const next = yield* msUntilNext
        return next === null ? MAX_SLEEP : Duration.clamp(Duration.millis(Math.ceil(next)), { minimum: Duration.zero, maximum: MAX_SLEEP })
      }).pipe(Effect.catchAllCause((cause) => Effect.as(Effect.logWarning("dispatcher round failed; trying again", cause), MAX_SLEEP)))

      const wakeups = yield* Queue.sliding<void>(1)
      yield* live.subscribe.pipe(
        Effect.flatMap((moves) =>
          Stream.fromQueue(moves).pipe(
            Stream.filter((m) => m === OUTBOX_MOVED || m.category === OUTBOX_MOVED.category || m.category === "*"),
            Stream.runForEach(() => Queue.offer(wakeups, undefined))
          )),
        Effect.scoped,
        Effect.forkScoped
      )
      const sleepOrWake = (sleep: Duration.Duration) => Effect.race(Effect.sleep(sleep), Queue.take(wakeups))
      yield* round.pipe(Effect.flatMap(sleepOrWake), Effect.forever, Effect.forkScoped)
    })
  )
