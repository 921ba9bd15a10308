import { PgClient } from "@effect/sql-pg"
import { Deferred, Effect, PubSub, Schedule, Stream } from "effect"
import { PgPool } from "../Database/PgPool.js"

export const EVENTS_CHANNEL = "tidebase_events"

/** A stream moved to `version`: readers fetch what they have not seen. */
export interface StreamMoved {
  readonly category: string
  readonly streamId: string
  readonly version: number
}

/** Postgres caps a notification's payload at 8000 bytes; a tick's moves are split below that. */
const MAX_PAYLOAD = 7_000
/** How long a move may wait to be announced to other replicas: one NOTIFY per tick, not per commit. */
const NOTIFY_TICK = "10 millis"

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

/**
 * Live delivery of appends to every reader on every replica. Readers in this process hear of
 * a commit at once; other replicas through LISTEN/NOTIFY, coalesced to one NOTIFY per tick
 * (NOTIFY serialises commits database-wide, so it stays off the checkpoint's own commit).
 */
export class LiveEvents extends Effect.Service<LiveEvents>()("Tidebase/LiveEvents", {
  scoped: Effect.gen(function*() {
    const pg = yield* PgClient.PgClient
    const pool = yield* PgPool
    const hub = yield* PubSub.sliding<StreamMoved>(4096)
    const origin = crypto.randomUUID()
    const listening = yield* Deferred.make<void>()
    const probe = `probe:${origin}`
    let pending = new Map<string, StreamMoved>()

    yield* pg.listen(EVENTS_CHANNEL).pipe(
      Stream.runForEach((payload) => {
        if (payload === probe) return Deferred.succeed(listening, undefined)
        const notice = parse(payload)
        return notice === undefined || notice.origin === origin ? Effect.void : PubSub.publishAll(hub, notice.moves)
      }),
      Effect.catchAllCause((cause) => Effect.logWarning("event listener stopped; reconnecting", cause)),
      Effect.repeat(Schedule.spaced("1 second")),
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

    yield* flush.pipe(Effect.repeat(Schedule.spaced(NOTIFY_TICK)), Effect.forkScoped)
    yield* Effect.addFinalizer(() => flush)

    // LISTEN is set up asynchronously; readers served before it would wait for the poll.
    yield* notify(probe).pipe(
      Effect.zipRight(Deferred.await(listening).pipe(Effect.timeout("100 millis"))),
      Effect.retry({ times: 50 }),
      Effect.orElse(() => Effect.logWarning("event listener not confirmed; live readers fall back to polling"))
    )

    const announce = (moves: ReadonlyArray<StreamMoved>) =>
      Effect.suspend(() => {
        for (const m of moves) pending.set(`${m.category}\u0000${m.streamId}`, m)
        return PubSub.publishAll(hub, moves)
      })

    return { subscribe: PubSub.subscribe(hub), announce } as const
  })
}) {}
