import { PgClient } from "@effect/sql-pg"
import { Cause, Deferred, Effect, Exit, Queue, Redacted } from "effect"
import pg from "pg"
import { PgPool } from "../Database/PgPool.js"

export const EVENTS_CHANNEL = "tidebase_events"
/** The LISTEN connection's `application_name`, so operators (and tests) can find it in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = "tidebase-events-listener"

/** A stream moved to `version`: readers fetch what they have not seen. */
export interface StreamMoved {
  readonly category: string
  readonly streamId: string
  readonly version: number
  /** The types of the events appended, when known (moves heard from other replicas do not say). */
  readonly types?: ReadonlyArray<string>
}

/** An append owed outbound calls: the dispatchers (of every replica) wake to send them. */
export const OUTBOX_MOVED: StreamMoved = { category: "outbox", streamId: "*", version: 0 }

/** Announced when the listener is back: what other replicas appended meanwhile was never heard of. */
export const everyStreamMoved: StreamMoved = { category: "*", streamId: "*", version: 0 }

/** Subscribed to as the stream id: the moves of every stream of the category (the global feed). */
export const ANY_STREAM = "*"

/** Postgres caps a notification's payload at 8000 bytes; a tick's moves are split below that. */
const MAX_PAYLOAD = 7_000
/** How long a move may wait to be announced to other replicas: one NOTIFY per tick, not per commit. */
const NOTIFY_TICK = "10 millis"
/** Reconnecting waits 0, 100, 200, … ms between attempts, at most this long. */
const MAX_RECONNECT_DELAY_MS = 5_000

const chunks = (moves: ReadonlyArray<StreamMoved>, origin: string): Array<string> => {
  const out: Array<string> = []
  let batch: Array<[string, string, number]> = []
  let size = 0
  for (const m of moves) {
    const entry: [string, string, number] = [m.category, m.streamId, m.version]
    const length = JSON.stringify(entry).length + 1
    if (size + length > MAX_PAYLOAD && batch.length > 0) {
      out.push(JSON.stringify({ o: origin, m: batch }))
      batch = []
      size = 0
    }
    batch.push(entry)
    size += length
  }
  if (batch.length > 0) out.push(JSON.stringify({ o: origin, m: batch }))
  return out
}

const parse = (payload: string): { readonly origin: string; readonly moves: ReadonlyArray<StreamMoved> } | undefined => {
  try {
    const { m, o } = JSON.parse(payload) as { o: string; m: Array<[string, string, number]> }
    return { origin: o, moves: m.map(([category, streamId, version]) => ({ category, streamId, version })) }
  } catch {
    return undefined
  }
}

const listenerConfig = (config: PgClient.PgClientConfig): pg.ClientConfig => ({
  connectionString: config.url === undefined ? undefined : Redacted.value(config.url),
  host: config.host,
  port: config.port,
  user: config.username,
  password: config.password === undefined ? undefined : Redacted.value(config.password),
  database: config.database,
  ssl: config.ssl,
  application_name: LISTENER_APPLICATION_NAME,
  connectionTimeoutMillis: 5_000,
  keepAlive: true
})

const messageOf = (cause: Cause.Cause<unknown>) => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}

/**
 * Live delivery of appends to every reader on every replica. Readers in this process hear of
 * a commit at once; other replicas through LISTEN/NOTIFY, coalesced to one NOTIFY per tick
 * (NOTIFY serialises commits database-wide, so it stays off the checkpoint's own commit).
 *
 * The LISTEN connection is our own: when it drops (a restart, a failover, a terminated
 * backend) it is opened again with backoff, and every reader then catches up from its own
 * last position, since the notifications sent meanwhile are lost.
 */
export class LiveEvents extends Effect.Service<LiveEvents>()("Tidebase/LiveEvents", {
  scoped: Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const pool = yield* PgPool
    // Readers by the stream they follow: a commit wakes its own stream's readers only, never all of them.
    const readers = new Map<string, Set<Queue.Queue<StreamMoved>>>()
    const keyOf = (category: string, streamId: string) => `${category}\u0000${streamId}`
    const origin = crypto.randomUUID()
    const listening = yield* Deferred.make<void>()
    let pending = new Map<string, StreamMoved>()
    // Told when `pending` stops being empty: an idle server runs no flush at all.
    const owed = yield* Queue.dropping<void>(1)

    const publish = (moves: ReadonlyArray<StreamMoved>) => {
      for (const move of moves) {
        if (move === everyStreamMoved) {
          for (const set of readers.values()) for (const queue of set) queue.unsafeOffer(move)
          continue
        }
        for (const key of [keyOf(move.category, move.streamId), keyOf(move.category, ANY_STREAM)]) {
          const targets = readers.get(key)
          if (targets !== undefined) for (const queue of targets) queue.unsafeOffer(move)
        }
      }
    }
    const onNotification = (message: pg.Notification) => {
      const notice = message.payload === undefined ? undefined : parse(message.payload)
      if (notice !== undefined && notice.origin !== origin) publish(notice.moves)
    }

    let sessions = 0
    let failures = 0
    /** One LISTEN connection, from connect until it is lost (the effect then fails). */
    const session = Effect.scoped(Effect.gen(function*() {
      const lost = yield* Deferred.make<never, Error>()
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => new pg.Client(listenerConfig(sql.config))),
        (client) => Effect.promise(() => client.end().catch(() => {})).pipe(Effect.timeout("1 second"), Effect.ignore)
      )
      client.on("error", (error) => Deferred.unsafeDone(lost, Exit.fail(error)))
      client.on("end", () => Deferred.unsafeDone(lost, Exit.fail(new Error("connection closed"))))
      client.on("notification", onNotification)
      yield* Effect.tryPromise(() => client.connect())
      yield* Effect.tryPromise(() => client.query(`LISTEN ${EVENTS_CHANNEL}`))
      if (sessions++ > 0) {
        yield* Effect.logInfo(`event listener listening again after ${failures} attempt(s); readers catch up`)
        publish([everyStreamMoved])
      }
      failures = 0
      yield* Deferred.succeed(listening, undefined)
      return yield* Deferred.await(lost)
    }))

    yield* session.pipe(
      Effect.catchAllCause((cause) =>
        Effect.suspend(() => {
          const delay = failures === 0 ? 0 : Math.min(100 * 2 ** (failures - 1), MAX_RECONNECT_DELAY_MS)
          const log = failures === 0
            ? Effect.logWarning(`event listener lost its connection (${messageOf(cause)}); reconnecting`)
            : Effect.void
          failures++
          return Effect.zipRight(log, Effect.sleep(delay))
        })),
      Effect.forever,
      Effect.forkScoped
    )

    const notify = (payload: string) =>
      pool.query({ name: "tidebase_notify", text: "select pg_notify($1, $2)", params: [EVENTS_CHANNEL, payload] })

    const flush = Effect.suspend(() => {
      if (pending.size === 0) return Effect.void
      const moves = [...pending.values()]
      pending = new Map()
      return Effect.forEach(chunks(moves, origin), notify, { discard: true })
    }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("could not notify other replicas; they poll", cause)))

    yield* Queue.take(owed).pipe(
      Effect.zipRight(Effect.sleep(NOTIFY_TICK)),
      Effect.zipRight(flush),
      Effect.forever,
      Effect.forkScoped
    )
    yield* Effect.addFinalizer(() => flush)

    // Readers served before LISTEN is in place would wait for the poll.
    yield* Deferred.await(listening).pipe(
      Effect.timeout("5 seconds"),
      Effect.orElse(() => Effect.logWarning("event listener not connected yet; live readers poll until it is"))
    )

    const announce = (moves: ReadonlyArray<StreamMoved>) =>
      Effect.suspend(() => {
        if (pending.size === 0 && moves.length > 0) owed.unsafeOffer(undefined)
        for (const m of moves) pending.set(keyOf(m.category, m.streamId), m)
        publish(moves)
        return Effect.void
      })

    /** The moves of one stream, or of all of a category's with `ANY_STREAM` (and `everyStreamMoved`), for as long as the scope lasts. */
    const subscribe = (category: string, streamId: string) =>
      Effect.acquireRelease(
        Effect.gen(function*() {
          const queue = yield* Queue.sliding<StreamMoved>(1024)
          const key = keyOf(category, streamId)
          let set = readers.get(key)
          if (set === undefined) readers.set(key, set = new Set())
          set.add(queue)
          return { key, queue }
        }),
        ({ key, queue }) =>
          Effect.sync(() => {
            const set = readers.get(key)
            set?.delete(queue)
            if (set?.size === 0) readers.delete(key)
          }).pipe(Effect.zipRight(Queue.shutdown(queue)))
      ).pipe(Effect.map(({ queue }) => queue as Queue.Dequeue<StreamMoved>))

    return { subscribe, announce } as const
  })
}) {}
