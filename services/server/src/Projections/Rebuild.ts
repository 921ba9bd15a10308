import { SqlClient } from "@effect/sql"
import { fold, fromStored } from "@tidebase/domain"
import { emptyAggregate } from "@tidebase/domain"
import { Data, Effect } from "effect"
import { EventStore } from "../EventStore/EventStore.js"
import { Projections } from "./Projections.js"

export interface TableDifference {
  readonly table: string
  /** Rows live has that a rebuild would not produce, and the reverse. */
  readonly onlyLive: number
  readonly onlyRebuilt: number
  readonly sampleIds: ReadonlyArray<string>
  /** For the first differing row: each column whose live and rebuilt values differ. */
  readonly columns: Record<string, { readonly live: unknown; readonly rebuilt: unknown }>
}

class RollBack extends Data.TaggedError("RollBack")<{ readonly differences: ReadonlyArray<TableDifference> }> {}

export class ProjectionRebuilder extends Effect.Service<ProjectionRebuilder>()("Tidebase/ProjectionRebuilder", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { all } = yield* Projections
    const events = yield* EventStore
    const tables = all.flatMap((p) => p.tables)

    /** Truncates every read model and refolds it from the event log; writers wait meanwhile. */
    const refold = Effect.gen(function*() {
      yield* sql`lock table event_streams in share mode`
      yield* sql`truncate ${sql.literal(tables.join(", "))}`
      const streams = yield* sql<{ streamId: string }>`select stream_id from event_streams order by stream_id`
      for (const { streamId } of streams) {
        const stored = yield* events.readStream(streamId, 0, Number.MAX_SAFE_INTEGER)
        const decoded = stored.map((e) => fromStored(e.type, e.payload))
        const after = fold(decoded)
        const change = { streamId, events: decoded, before: emptyAggregate, after }
        for (const write of all.flatMap((projection) => projection.writes(change))) yield* sql`${write}`
      }
      return streams.length
    })

    const rebuild = sql.withTransaction(refold).pipe(Effect.orDie)

    /** Rebuilds inside a transaction that is rolled back, comparing the result with the live rows. */
    const verify = Effect.gen(function*() {
      for (const table of tables) {
        yield* sql`create temp table ${sql(`live_${table}`)} on commit drop as select * from ${sql(table)}`
      }
      yield* refold
      const differences: Array<TableDifference> = []
      for (const table of tables) {
        const live = sql(`live_${table}`)
        const rebuilt = sql(table)
        const [onlyLive] = yield* sql<{ n: number; ids: Array<string> | null }>`
          select count(*)::int as n, (array_agg(id))[1:5] as ids from (select * from ${live} except all select * from ${rebuilt}) d`
        const [onlyRebuilt] = yield* sql<{ n: number; ids: Array<string> | null }>`
          select count(*)::int as n, (array_agg(id))[1:5] as ids from (select * from ${rebuilt} except all select * from ${live}) d`
        if ((onlyLive?.n ?? 0) + (onlyRebuilt?.n ?? 0) > 0) {
          const sampleId = onlyLive?.ids?.[0] ?? onlyRebuilt?.ids?.[0] ?? ""
          const [pair] = yield* sql<{ live: Record<string, unknown> | null; rebuilt: Record<string, unknown> | null }>`
            select (select to_jsonb(l) from ${live} l where l.id = ${sampleId}) as live,
                   (select to_jsonb(r) from ${rebuilt} r where r.id = ${sampleId}) as rebuilt`
          const columns: Record<string, { live: unknown; rebuilt: unknown }> = {}
          for (const key of new Set([...Object.keys(pair?.live ?? {}), ...Object.keys(pair?.rebuilt ?? {})])) {
            const [a, b] = [pair?.live?.[key], pair?.rebuilt?.[key]]
            if (JSON.stringify(a) !== JSON.stringify(b)) columns[key] = { live: a, rebuilt: b }
          }
          differences.push({
            columns,
            table,
            onlyLive: onlyLive?.n ?? 0,
            onlyRebuilt: onlyRebuilt?.n ?? 0,
            sampleIds: [...(onlyLive?.ids ?? []), ...(onlyRebuilt?.ids ?? [])]
          })
        }
      }
      return yield* new RollBack({ differences })
    }).pipe(
      sql.withTransaction,
      Effect.catchTag("RollBack", (r) => Effect.succeed(r.differences)),
      Effect.orDie
    )

    return { rebuild, verify } as const
  }),
  dependencies: [Projections.Default, EventStore.Default]
}) {}
