import type { Event } from "@tidebase/api"
import { Effect, Stream } from "effect"
import { PgPool } from "../Database/PgPool.js"
import type { StoredEvent } from "../EventStore/EventStore.js"
import { advance, cursorAt, holdOn, parseSnapshot, widenXid } from "./FeedCursor.js"
import type { FeedCursor } from "./FeedCursor.js"
import { ANY_STREAM, LiveEvents } from "./LiveEvents.js"
import { toWireEvent } from "./WireEvent.js"

/** How soon a reader waiting on a gap looks again: the transactions it waits on are one statement long. */
const GAP_RECHECK = "5 millis"
/** A missed notification costs at most this much latency. */
const POLL_INTERVAL = "2 seconds"
/** A one-shot read waits at most this long for a gap to settle, then answers what it has. */
const PAGE_GAP_WAIT_MS = 2_000

/** The snapshot and the events after a position, read in one statement (so under one snapshot). */
const READ = `select s.snapshot, e.position, e.category, e.stream_id as "streamId", e.seq, e.type, e.payload, e.created_at as "createdAt"
  from (select pg_current_snapshot()::text as snapshot) s
  left join lateral (select * from events where position > $1 order by position limit $2) e on true
  order by e.position`

/** Every transaction running now (each holds the lock on its own id), with a snapshot to read their 32-bit ids by. */
const RUNNING = `select pg_current_snapshot()::text as snapshot,
  coalesce((select array_agg(transactionid::text) from pg_locks
    where locktype = 'transactionid' and mode = 'ExclusiveLock' and granted), '{}') as xids`

type Row = Omit<StoredEvent, "position" | "seq"> & {
  readonly snapshot: string
  readonly position: string | null
  readonly seq: string
  readonly category: string
}

/**
 * Every run's events in one order, position order, each once: the feed dashboards follow. A
 * reader never skips a position that a transaction still in progress may fill (`FeedCursor`).
 */
export class GlobalFeed extends Effect.Service<GlobalFeed>()("Tidebase/GlobalFeed", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool
    const live = yield* LiveEvents

    /** One read: what can be delivered after the cursor (run events only; other streams' positions just pass), and the cursor after it. */
    const running = pool.query<{ snapshot: string; xids: Array<string> }>({ name: "tidebase_feed_running", text: RUNNING, params: [] }).pipe(
      Effect.orDie,
      Effect.map(([row]) => {
        const snapshot = parseSnapshot(row!.snapshot)
        return row!.xids.map((xid) => widenXid(xid, snapshot))
      })
    )

    const poll = (cursor: FeedCursor, limit: number) =>
      Effect.gen(function*() {
        const rows = yield* pool.query<Row>({ name: "tidebase_feed_read", text: READ, params: [cursor.position, limit] }).pipe(Effect.orDie)
        const read = rows.flatMap((r) => r.position === null ? [] : [{ ...r, position: Number(r.position), seq: Number(r.seq) }])
        const next = advance(cursor, parseSnapshot(rows[0]!.snapshot), read)
        return {
          events: next.deliver.filter((e) => e.category === "run").map(toWireEvent),
          cursor: next.gapUpTo === undefined ? next.cursor : holdOn(next.cursor, yield* running, next.gapUpTo)
        }
      })

    /** Events after `after`, at most `limit`, waiting briefly for a gap in front of them to settle. */
    const page = (after: number, limit: number) =>
      Effect.gen(function*() {
        const deadline = Date.now() + PAGE_GAP_WAIT_MS
        let cursor = cursorAt(after)
        const events: Array<Event> = []
        while (true) {
          const read = yield* poll(cursor, limit - events.length)
          events.push(...read.events)
          const progressed = read.cursor.position > cursor.position
          cursor = read.cursor
          if (cursor.held === undefined || events.length >= limit || Date.now() >= deadline) break
          if (!progressed) yield* Effect.sleep(GAP_RECHECK)
        }
        return { events, next: cursor.position }
      })

    /** Events after `after` as they are committed, for as long as the stream is read. */
    const follow = (after: number) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const moved = yield* live.subscribe("run", ANY_STREAM)
        let cursor = cursorAt(after)
        const batches = Stream.repeatEffect(Effect.gen(function*() {
          const read = yield* poll(cursor, 1_000)
          const waitingOnGap = read.cursor.held !== undefined && read.cursor.position === cursor.position
          cursor = read.cursor
          if (read.events.length === 0) {
            yield* waitingOnGap
              ? Effect.sleep(GAP_RECHECK)
              : Effect.race(Effect.zipRight(moved.take, moved.takeAll), Effect.sleep(POLL_INTERVAL)).pipe(Effect.asVoid)
          }
          return read.events
        }))
        return batches.pipe(Stream.flattenIterables)
      }))

    return { page, follow } as const
  })
}) {}

