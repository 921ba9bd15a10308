import { SqlClient } from "@effect/sql"
import { toStored } from "@tidebase/domain"
import { Effect } from "effect"
import { Projections } from "../Projections/Projections.js"
import type { StreamChange } from "./Projection.js"

export const EVENTS_CHANNEL = "tidebase_events"

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
     * Appends in the caller's transaction, which must hold the stream's head row lock
     * (taken when the aggregate was loaded): that lock is what keeps `seq` gap-free under
     * concurrent writers. One statement appends, moves the head, applies every inline
     * projection and notifies listeners: a checkpoint costs one round trip past the lock.
     */
    const append = Effect.fn("EventStore.append")(function*(change: StreamChange) {
      if (change.events.length === 0) return
      const expected = change.before.version
      const next = expected + change.events.length
      const stored = JSON.stringify(change.events.map(toStored))
      const projected = projections.all.flatMap((projection) => projection.writes(change))
        .map((write, i) => sql`, ${sql.literal(`projected_${i}`)} as (${write})`)
      const heads = yield* sql<{ version: number }>`
        with appended as (
          insert into events (stream_id, seq, type, payload, created_at)
          select ${change.streamId}, ${expected} + e.ord, e.ev->>'type', e.ev->'payload', (e.ev->'payload'->>'at')::timestamptz
          from jsonb_array_elements(${stored}::jsonb) with ordinality as e(ev, ord)
          returning seq
        ), head as (
          update event_streams set version = ${next} where stream_id = ${change.streamId} and version = ${expected}
          returning version
        ) ${sql.join("", false)(projected)}
        select h.version, pg_notify(${EVENTS_CHANNEL}, ${change.streamId} || ':' || h.version::text)
        from head h, (select count(*) from appended) a`
      if (heads.length !== 1) return yield* Effect.dieMessage(`stream ${change.streamId} moved past version ${expected} under its lock`)
    }, Effect.orDie)

    /** Creates the stream's head if missing; returns whether this call created it. */
    const ensureStream = (streamId: string) =>
      sql<{ streamId: string }>`insert into event_streams (stream_id) values (${streamId}) on conflict do nothing returning stream_id`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.orDie
      )

    const readStream = (streamId: string, afterSeq = 0, limit = 10_000) =>
      sql<StoredEvent>`
        select position, stream_id, seq, type, payload, created_at from events
        where stream_id = ${streamId} and seq > ${afterSeq} order by seq limit ${limit}`.pipe(Effect.orDie)

    const readAll = (afterPosition: number, limit: number) =>
      sql<StoredEvent>`
        select position, stream_id, seq, type, payload, created_at from events
        where position > ${afterPosition} order by position limit ${limit}`.pipe(Effect.orDie)

    return { append, ensureStream, readStream, readAll } as const
  }),
  dependencies: [Projections.Default]
}) {}
