import { SqlClient } from "@effect/sql"
import { Data, Effect } from "effect"
import { fold } from "./Aggregate.js"
import { rowWriteStatement } from "./AppendStatement.js"
import { Aggregates } from "./Registry.js"
import type { RegisteredKind } from "./Registry.js"

export interface TableDifference {
  readonly table: string
  /** Rows live has that a rebuild would not produce, and the reverse (rows are named by `id`, or `name`). */
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
    const kinds = yield* Aggregates
    const tables = kinds.flatMap((k) => k.projections.flatMap((p) => p.tables))

    const refoldKind = ({ kind, projections }: RegisteredKind) =>
      Effect.gen(function*() {
        const streams = yield* sql<{ streamId: string }>`
          select stream_id from event_streams where category = ${kind.category} order by stream_id`
        for (const { streamId } of streams) {
          const stored = yield* sql<{ type: string; payload: unknown }>`
            select type, payload from events where category = ${kind.category} and stream_id = ${streamId} order by seq`
          const events = stored.map((e) => kind.fromStored(e.type, e.payload))
          const change = { kind, streamId, expectedVersion: 0, events, before: kind.empty, after: fold(kind, events) }
          for (const write of projections.flatMap((projection) => projection.writes(change))) {
            const { params, text } = rowWriteStatement(write)
            yield* sql.unsafe(text, params)
          }
        }
        return streams.length
      })

    /** Truncates every read model and refolds it from the event log; writers wait meanwhile. */
    const refold = Effect.gen(function*() {
      yield* sql`lock table event_streams in share mode`
      if (tables.length > 0) yield* sql`truncate ${sql.literal(tables.join(", "))}`
      let streams = 0
      for (const kind of kinds) streams += yield* refoldKind(kind)
      return streams
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
          select count(*)::int as n, (array_agg(coalesce(to_jsonb(d) ->> 'id', to_jsonb(d) ->> 'name')))[1:5] as ids from (select * from ${live} except all select * from ${rebuilt}) d`
        const [onlyRebuilt] = yield* sql<{ n: number; ids: Array<string> | null }>`
          select count(*)::int as n, (array_agg(coalesce(to_jsonb(d) ->> 'id', to_jsonb(d) ->> 'name')))[1:5] as ids from (select * from ${rebuilt} except all select * from ${live}) d`
        if ((onlyLive?.n ?? 0) + (onlyRebuilt?.n ?? 0) > 0) {
          const sampleId = onlyLive?.ids?.[0] ?? onlyRebuilt?.ids?.[0] ?? ""
          const [pair] = yield* sql<{ live: Record<string, unknown> | null; rebuilt: Record<string, unknown> | null }>`
            select (select to_jsonb(l) from ${live} l where coalesce(to_jsonb(l) ->> 'id', to_jsonb(l) ->> 'name') = ${sampleId}) as live,
                   (select to_jsonb(r) from ${rebuilt} r where coalesce(to_jsonb(r) ->> 'id', to_jsonb(r) ->> 'name') = ${sampleId}) as rebuilt`
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
  })
}) {}
