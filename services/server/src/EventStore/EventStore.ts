import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql"
import { toStored } from "@tidebase/domain"
import { Data, Effect } from "effect"
import { Projections } from "../Projections/Projections.js"
import type { StreamChange } from "./Projection.js"

export const EVENTS_CHANNEL = "tidebase_events"

export class VersionConflict extends Data.TaggedError("VersionConflict")<{ readonly streamId: string }> {}

/**
 * Another writer appended first: the seq is taken (or, should a projection's write run
 * first, the row it inserts is), or both waited on each other. Deciding again on fresh
 * state is the answer to all three.
 */
const isConcurrentAppend = (error: SqlError.SqlError) => {
  const code = (error.cause as { code?: string } | undefined)?.code
  return code === "23505" || code === "40P01"
}

export interface StoredEvent {
  readonly position: number
  readonly streamId: string
  readonly seq: number
  readonly type: string
  readonly payload: unknown
  readonly createdAt: string
}

export class EventStore extends Effect.Service<EventStore>()("Tidebase/EventStore", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const projections = yield* Projections

    /**
     * Appends `change.events` after `change.before.version` in one statement that also moves
     * the stream head, applies every inline projection and notifies listeners. The unique
     * (stream, seq) key makes it an expected-version append: if another writer got there
     * first the whole statement fails with `VersionConflict` and nothing is written.
     */
    const append = Effect.fnUntraced(function*(change: StreamChange) {
      if (change.events.length === 0) return
      const expected = change.before.version
      const next = expected + change.events.length
      const stored = JSON.stringify(change.events.map(toStored))
      const projected = projections.all.flatMap((projection) => projection.writes(change))
        .map((write, i) => sql`, ${sql.literal(`projected_${i}`)} as (${write})`)
      yield* sql`
        with appended as (
          insert into events (stream_id, seq, type, payload, created_at)
          select ${change.streamId}, ${expected} + e.ord, e.ev->>'type', e.ev->'payload', (e.ev->'payload'->>'at')::timestamptz
          from jsonb_array_elements(${stored}::jsonb) with ordinality as e(ev, ord)
          returning seq
        ), head as (
          insert into event_streams (stream_id, version) values (${change.streamId}, ${next})
          on conflict (stream_id) do update set version = excluded.version
          returning version
        ) ${sql.join("", false)(projected)}
        select pg_notify(${EVENTS_CHANNEL}, ${change.streamId} || ':' || ${next}::text)
        from head, (select count(*) from appended) a`
    }, (effect, change) =>
      effect.pipe(
        Effect.catchIf(isConcurrentAppend, () => Effect.fail(new VersionConflict({ streamId: change.streamId }))),
        Effect.catchTag("SqlError", Effect.die)
      ))

    const readStream = (streamId: string, afterSeq = 0, limit = 10_000) =>
      sql<StoredEvent>`
        select position, stream_id, seq, type, payload, created_at from events
        where stream_id = ${streamId} and seq > ${afterSeq} order by seq limit ${limit}`.pipe(Effect.orDie)

    return { append, readStream } as const
  }),
  dependencies: [Projections.Default]
}) {}
