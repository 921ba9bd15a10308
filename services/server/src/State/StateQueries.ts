import { Effect } from "effect"
import { PgPool } from "../Database/PgPool.js"
import type { JsonText } from "../Runs/RunQueries.js"
import { jsonArray, stateJson, stateVersionJson } from "../Runs/WireJson.js"

const VERSIONS = `select ${
  jsonArray(
    stateVersionJson("v"),
    `(select * from state_versions where run_id = $1 and ($2::text is null or stream = $2) and (not $3 or label is not null)
      order by stream, version) v`
  )
}::text as body`

const STATE = `select (select ${stateJson("t")} from state_streams t where t.run_id = $1 and t.name = $2)::text as body`

const SNAPSHOTS = `select ${
  jsonArray(stateVersionJson("v"), "(select * from state_versions where run_id = $1 and label is not null order by seq desc) v")
}::text as body`

/** Version history as JSON text built by Postgres: every version carries its full value, so no reader replays patches. */
export class StateQueries extends Effect.Service<StateQueries>()("Tidebase/StateQueries", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    const body = (name: string, text: string, params: ReadonlyArray<unknown>) =>
      pool.query<{ body: JsonText }>({ name, text, params }).pipe(Effect.map((rows) => rows[0]!.body), Effect.orDie)

    /** `[StateVersion]` by stream, then version; only one stream's, and only labeled ones, when asked. */
    const versions = (runId: string, filter: { readonly stream?: string | undefined; readonly labeled?: boolean | undefined }) =>
      body("tidebase_state_versions", VERSIONS, [runId, filter.stream ?? null, filter.labeled === true])

    /** `[StateVersion]`: every labeled version of the run, newest first. */
    const snapshots = (runId: string) => body("tidebase_snapshots", SNAPSHOTS, [runId])

    /** `State` of one stream, or `null` when it has no version yet. */
    const current = (runId: string, stream: string) =>
      Effect.map(body("tidebase_state", STATE, [runId, stream]), (text) => text ?? "null")

    return { current, versions, snapshots } as const
  })
}) {}
