import * as Domain from "@tidebase/domain"
import { Duration, Effect, Either, Layer, Option, Queue, Stream } from "effect"
import { createHmac } from "node:crypto"
import { PgPool } from "../Database/PgPool.js"
import { LiveEvents, OUTBOX_MOVED } from "../Events/LiveEvents.js"
import { GateTokens } from "../Gates/GateTokens.js"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"
import { privateTargetRefusal } from "./PrivateTargets.js"

export interface DispatcherSettings {
  /** Signs every body without a channel secret of its own: `x-tidebase-signature: sha256=<hex HMAC-SHA256>`. */
  readonly secret: Option.Option<string>
  /** Where a gate's resolve URL points: `<publicUrl>/runs/:runId/gates/:gateId/resolve`. */
  readonly publicUrl: string
  /** A slow endpoint is given up on (as a failed try) after this long. */
  readonly timeoutMs: number
  /** The first retry waits this long, each next one twice as long (with jitter), at most MAX_BACKOFF. */
  readonly retryMs: number
  /** Tries per call before it is given up on. */
  readonly maxTries: number
  /** Refuse loopback, private and link-local targets (a refusal is final: no retry). */
  readonly denyPrivate: boolean
}

const BATCH = 10
/** A claim outlives the slowest try: another replica takes the call over only if this one died. */
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
  readonly secret: string | null
  readonly tries: number
}

interface TryOutcome {
  readonly httpStatus: number | null
  readonly responseBody: string | null
  readonly error: string | null
  /** Trying again cannot help (a refused target). */
  readonly final?: boolean
}

/** One kind of outbound call: its outbox and claims tables, what a claimed row sends, and how a try is recorded. */
interface OutboxKind {
  readonly name: string
  readonly claimSql: string
  readonly table: string
  readonly claims: string
  readonly record: (state: Domain.RunAggregate, call: Claimed, outcome: TryOutcome, retryAt: number | null, now: number) =>
    Either.Either<ReadonlyArray<Domain.RunEvent>, unknown>
  readonly needs: (id: string) => { readonly recovery: string } | { readonly delivery: string }
}

export const signature = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`

/**
 * A claim is won on the claims row itself: an upsert that takes a lapsed claim only, so of two
 * dispatchers that both saw a call due (even on stale snapshots), one gets it.
 */
const claimSql = (table: string, claims: string, columns: string) => `with due as (
    select ${columns} from ${table} a left join ${claims} c on c.id = a.id
    where a.status = 'pending' and a.next_attempt_at <= now() and (c.claimed_until is null or c.claimed_until < now())
    order by a.next_attempt_at limit $1 for update of a skip locked
  ), claimed as (
    insert into ${claims} as c (id, claimed_until) select id, now() + make_interval(secs => $2) from due
    on conflict (id) do update set claimed_until = excluded.claimed_until where c.claimed_until < now()
    returning id
  )
  select due.* from due join claimed using (id)`

const KINDS: ReadonlyArray<OutboxKind> = [
  {
    name: "recovery call",
    table: "recovery_attempts",
    claims: "recovery_claims",
    claimSql: claimSql("recovery_attempts", "recovery_claims", `a.id, a.run_id as "runId", a.url, a.body, null::text as secret, a.tries`),
    record: (state, call, outcome, retryAt, now) =>
      Domain.decideRecoveryTry(state, { runId: call.runId, recoveryAttemptId: call.id, ...outcome, retryAt, now }),
    needs: (id) => ({ recovery: id })
  },
  {
    name: "channel delivery",
    table: "channel_deliveries",
    claims: "delivery_claims",
    // The body is composed here; the channel's secret is read from where the channel was given.
    claimSql: claimSql(
      "channel_deliveries",
      "delivery_claims",
      `a.id, a.run_id as "runId", a.url, a.tries,
        json_build_object('type', a.event_type, 'runId', a.run_id, 'gateId', a.gate_id, 'deliveryId', a.id, 'payload', a.payload)::text as body,
        (case a.source when 'gate' then (select g.channels from gates g where g.id = a.gate_id)
          else (select r.channels from runs r where r.id = a.run_id) end) -> a.channel_index ->> 'secret' as secret`
    ),
    record: (state, call, outcome, retryAt, now) =>
      Domain.decideDeliveryTry(state, { runId: call.runId, deliveryId: call.id, ...outcome, retryAt, now }),
    needs: (id) => ({ delivery: id })
  }
]

const send = (settings: DispatcherSettings, call: Claimed, body: string): Effect.Effect<TryOutcome> =>
  Effect.promise(async (): Promise<TryOutcome> => {
    const secret = call.secret ?? Option.getOrNull(settings.secret)
    try {
      const refusal = settings.denyPrivate ? await privateTargetRefusal(call.url) : undefined
      if (refusal !== undefined) return { httpStatus: null, responseBody: null, error: refusal, final: true }
      const response = await fetch(call.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-tidebase-signature": signature(secret, body) }) },
        body,
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

/** Exponential with jitter on the upper half: retries of many calls do not land together. */
const backoffMs = (settings: DispatcherSettings, tries: number) => {
  const ceiling = Math.min(MAX_BACKOFF_MS, settings.retryMs * 2 ** (tries - 1))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/**
 * The Dispatcher: sends what the outbox owes (recovery calls, channel deliveries) after the
 * commit that owes it. Woken by the live hub when an append owes a call (a NOTIFY for other
 * replicas), it claims due rows with `FOR UPDATE SKIP LOCKED` (so replicas never send one at
 * once), sends them without holding any run's lock, and records each try as an event of the run:
 * delivered on 2xx, otherwise tried again with backoff until `maxTries`. A call committed but not
 * sent when a server dies is sent by the next one to look (its claim lapses).
 */
export const DispatcherLive = (settings: DispatcherSettings) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const pool = yield* PgPool
      const live = yield* LiveEvents
      const tokens = yield* GateTokens
      const { existing } = yield* RunCommandRunner

      /** A gate's own `gate.created` delivery carries where and how to resolve it; nothing else ever carries the token. */
      const bodyOf = (call: Claimed) => {
        const parsed = JSON.parse(call.body) as { type: string; runId: string; gateId: string | null; payload: Record<string, unknown> }
        if (parsed.type !== "gate.created" || parsed.gateId === null) return call.body
        return JSON.stringify({
          ...parsed,
          payload: {
            ...parsed.payload,
            resolveUrl: `${settings.publicUrl}/runs/${encodeURIComponent(parsed.runId)}/gates/${encodeURIComponent(parsed.gateId)}/resolve`,
            resolveToken: tokens.tokenOf(parsed.gateId)
          }
        })
      }

      const deliver = (kind: OutboxKind, call: Claimed) =>
        Effect.flatMap(send(settings, call, bodyOf(call)), (outcome) => {
          const last = call.tries + 1 >= settings.maxTries || outcome.final === true
          const retryAt = Domain.isDelivered(outcome.httpStatus) || last ? null : Date.now() + backoffMs(settings, call.tries + 1)
          return existing(call.runId, kind.needs(call.id), (state, now) =>
            Either.map(kind.record(state, call, outcome, retryAt, now), (events) => decided(events, () => undefined))).pipe(
              // The claim now lasts until the next try is due, or for good: never released early,
              // so a dispatcher reading an older snapshot cannot send the call again.
              Effect.zipRight(pool.query({
                text: `update ${kind.claims} set claimed_until = coalesce(to_timestamp($2::double precision / 1000), 'infinity') where id = $1`,
                params: [call.id, retryAt]
              }))
            )
        }).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning(`${kind.name} ${call.id} of run ${call.runId}: its try could not be recorded`, cause))
        )

      const nextDue = (kind: OutboxKind) =>
        Effect.map(
          pool.query<{ ms: number | null }>({
            text: `select extract(epoch from min(greatest(a.next_attempt_at, coalesce(c.claimed_until, a.next_attempt_at))) - now()) * 1000 as ms
              from ${kind.table} a left join ${kind.claims} c on c.id = a.id where a.status = 'pending'`,
            params: []
          }),
          (rows) => rows[0]?.ms === null || rows[0]?.ms === undefined ? MAX_SLEEP : Duration.millis(Math.max(0, Math.ceil(Number(rows[0].ms))))
        )

      const roundOf = (kind: OutboxKind) =>
        Effect.gen(function*() {
          const claimed = yield* pool.query<Claimed>({ text: kind.claimSql, params: [BATCH, CLAIM_SECONDS] })
          yield* Effect.forEach(claimed, (call) => deliver(kind, call), { concurrency: "unbounded", discard: true })
          return claimed.length === BATCH ? Duration.zero : yield* nextDue(kind)
        }).pipe(Effect.catchAllCause((cause) => Effect.as(Effect.logWarning(`dispatching ${kind.name}s failed; trying again`, cause), MAX_SLEEP)))

      const round = Effect.map(Effect.forEach(KINDS, roundOf), (sleeps) => sleeps.reduce(Duration.min, MAX_SLEEP))

      const wakeups = yield* Queue.sliding<void>(1)
      yield* live.subscribe(OUTBOX_MOVED.category, OUTBOX_MOVED.streamId).pipe(
        Effect.flatMap((moves) => Stream.fromQueue(moves).pipe(Stream.runForEach(() => Queue.offer(wakeups, undefined)))),
        Effect.scoped,
        Effect.forkScoped
      )
      const sleepOrWake = (sleep: Duration.Duration) => Effect.race(Effect.sleep(sleep), Queue.take(wakeups))
      yield* round.pipe(Effect.flatMap(sleepOrWake), Effect.forever, Effect.forkScoped)
    })
  )
