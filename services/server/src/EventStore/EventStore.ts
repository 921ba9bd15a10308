import { Data, Effect } from "effect"
import type { SqlError } from "@effect/sql/SqlError"
import { PgPool } from "../Database/PgPool.js"
import type { PgQueryFn } from "../Database/PgPool.js"
import { LiveEvents } from "../Events/LiveEvents.js"
import type { StreamMoved } from "../Events/LiveEvents.js"
import type { AnyStreamChange } from "./Aggregate.js"
import { appendStatement } from "./AppendStatement.js"
import { isLostRace } from "./Conflicts.js"
import { Aggregates } from "./Registry.js"

/** Another writer appended to one of the streams first: decide again on fresh state. */
export class VersionConflict extends Data.TaggedError("VersionConflict")<{ readonly streams: ReadonlyArray<string> }> {}

export interface StoredEvent {
  readonly position: number
  readonly streamId: string
  readonly seq: number
  readonly type: string
  readonly payload: unknown
  readonly createdAt: string
}

/** What an append moved, and whatever else it wakes (the outbox, a queue's claimers), each once. */
const announced = (changed: ReadonlyArray<AnyStreamChange>): Array<StreamMoved> => {
  const moves: Array<StreamMoved> = []
  const woken = new Set<string>()
  for (const c of changed) {
    const types = c.events.map((e) => (e as { readonly _tag: string })._tag)
    moves.push({ category: c.kind.category, streamId: c.streamId, version: c.expectedVersion + c.events.length, types })
    for (const { category, streamId } of c.kind.wakes?.(c) ?? []) {
      const key = `${category}\u0000${streamId}`
      if (woken.has(key)) continue
      woken.add(key)
      moves.push({ category, streamId, version: 0 })
    }
  }
  return moves
}

export class EventStore extends Effect.Service<EventStore>()("Tidebase/EventStore", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool
    const live = yield* LiveEvents
    const kinds = yield* Aggregates
    const projections = new Map(kinds.map((k) => [k.kind.category, k.projections]))

    /**
     * Appends every change in ONE statement: the events of each stream after its expected
     * version, the stream heads and every inline projection's writes. The unique
     * (category, stream, seq) key makes each an expected-version append: if another writer got
     * to any of the streams first, nothing at all is written and `VersionConflict` says so.
     */
    const lostRace = (changed: ReadonlyArray<AnyStreamChange>) => (error: SqlError) =>
      isLostRace(error)
        ? Effect.fail(new VersionConflict({ streams: changed.map((c) => `${c.kind.category}/${c.streamId}`) }))
        : Effect.die(error)

    const statementOf = (changed: ReadonlyArray<AnyStreamChange>) =>
      appendStatement(changed, changed.flatMap((change) => (projections.get(change.kind.category) ?? []).flatMap((p) => p.writes(change))))

    /**
     * Appends every change in ONE statement: the events of each stream after its expected
     * version, the stream heads and every inline projection's writes. The unique
     * (category, stream, seq) key makes each an expected-version append: if another writer got
     * to any of the streams first, nothing at all is written and `VersionConflict` says so.
     */
    const append = (changes: ReadonlyArray<AnyStreamChange>): Effect.Effect<void, VersionConflict> => {
      const changed = changes.filter((c) => c.events.length > 0)
      if (changed.length === 0) return Effect.void
      return pool.query(statementOf(changed)).pipe(
        Effect.catchTag("SqlError", lostRace(changed)),
        Effect.zipRight(live.announce(announced(changed)))
      )
    }

    /**
     * The same append inside a transaction the caller holds (`query` is its connection): what it
     * moved is announced by `committed`, to be run once the transaction has committed.
     */
    const appendIn = (query: PgQueryFn, changes: ReadonlyArray<AnyStreamChange>) => {
      const changed = changes.filter((c) => c.events.length > 0)
      return {
        write: changed.length === 0
          ? Effect.void
          : Effect.asVoid(query(statementOf(changed))).pipe(Effect.catchTag("SqlError", lostRace(changed))),
        committed: changed.length === 0 ? Effect.void : live.announce(announced(changed))
      }
    }

    const readStream = (category: string, streamId: string, afterSeq = 0, limit = 1_000_000) =>
      pool.query<StoredEvent>({
        name: "tidebase_read_stream",
        text: `select position, stream_id as "streamId", seq, type, payload, created_at as "createdAt" from events
          where category = $1 and stream_id = $2 and seq > $3 order by seq limit $4`,
        params: [category, streamId, afterSeq, limit]
      }).pipe(Effect.orDie)

    /** The stream's last seq; 0 when it has no events. */
    const streamVersion = (category: string, streamId: string) =>
      pool.query<{ version: string }>({
        name: "tidebase_stream_version",
        text: "select version from event_streams where category = $1 and stream_id = $2",
        params: [category, streamId]
      }).pipe(Effect.map((rows) => Number(rows[0]?.version ?? 0)), Effect.orDie)

    return { append, appendIn, readStream, streamVersion } as const
  })
}) {}
