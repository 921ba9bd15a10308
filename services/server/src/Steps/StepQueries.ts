import { Effect } from "effect"
import { PgPool } from "../Database/PgPool.js"
import type { JsonText } from "../Runs/RunQueries.js"
import { stepJson } from "../Runs/WireJson.js"

const PAGE = `with page as (select * from steps where run_id = $1 and seq > $2 order by seq limit $3)
  select json_build_object(
    'steps', coalesce((select json_agg(${stepJson("s")} order by s.seq) from page s), '[]'::json),
    'next', (select case when count(*) = $3 then max(seq) end from page)
  )::text as body`

export class StepQueries extends Effect.Service<StepQueries>()("Tidebase/StepQueries", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    /** `{steps, next}`: up to `limit` steps after the cursor `after` (a step's `seq`) in start order; `next` is null on the last page. */
    const page = (runId: string, after: number, limit: number) =>
      pool.query<{ body: JsonText }>({ name: "tidebase_steps_page", text: PAGE, params: [runId, after, limit] }).pipe(
        Effect.map((rows) => rows[0]!.body),
        Effect.orDie
      )

    return { page } as const
  })
}) {}
