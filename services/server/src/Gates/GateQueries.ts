import { Effect, Option } from "effect"
import { PgPool } from "../Database/PgPool.js"
import type { JsonText } from "../Runs/RunQueries.js"
import { gateJson, iso, jsonArray } from "../Runs/WireJson.js"
import { tokenSql } from "./GateTokens.js"

const GATE = `select json_build_object('gate', ${gateJson("g", tokenSql("g"))}, 'runStatus', r.status)::text as body
  from gates g join runs r on r.id = g.run_id where g.run_id = $1 and g.id = $2`

/** Newest first; the cursor is the last row's `createdAt|id`, so a page never repeats or skips a gate. */
const LIST = `with page as (
    select * from gates
    where ($1::text is null or status = $1)
      and ($3::text is null or (created_at, id) < (split_part($3, '|', 1)::timestamptz, split_part($3, '|', 2)))
    order by created_at desc, id desc limit $2
  )
  select json_build_object(
    'gates', ${jsonArray(gateJson("g", tokenSql("g")), "(select * from page order by created_at desc, id desc) g")},
    'next', (select case when count(*) = $2 then (
      select ${iso("p.created_at")} || '|' || p.id from page p order by p.created_at, p.id limit 1) end from page)
  )::text as body`

export class GateQueries extends Effect.Service<GateQueries>()("Tidebase/GateQueries", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    /** `{gate, runStatus}`, none when the run has no such gate. */
    const get = (runId: string, gateId: string) =>
      pool.query<{ body: JsonText }>({ name: "tidebase_gate", text: GATE, params: [runId, gateId] }).pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), (row) => row.body)),
        Effect.orDie
      )

    /** `{gates, next}` across runs, for the Studio's and the MCP server's inbox. */
    const list = (filter: { readonly status?: string | undefined; readonly limit?: number | undefined; readonly cursor?: string | undefined }) =>
      pool.query<{ body: JsonText }>({
        name: "tidebase_gates",
        text: LIST,
        params: [filter.status ?? null, filter.limit ?? 100, filter.cursor ?? null]
      }).pipe(Effect.map((rows) => rows[0]!.body), Effect.orDie)

    return { get, list } as const
  })
}) {}
