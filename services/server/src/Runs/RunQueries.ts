import { Effect, Option } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { tokenSql } from "../Gates/GateTokens.js"
import { deliveryJson, edgeJson, eventJson, gateJson, recoveryJson, iso, jsonArray, runJson, stateJson, stateStreamJson, stateVersionJson, stepJson, usageJson } from "./WireJson.js"

/** A read answered as JSON text built by Postgres: no row is decoded or re-encoded on the way. */
export type JsonText = string

/** The channels given on a run or a gate (`source`), each as given but its secret, with where it came from. */
const channelsOf = (source: string, table: string, gateId: string, where: string) =>
  `select '${source}' as source, ${gateId} as "gateId", t.ord - 1 as index, t.channel - 'secret' as channel, x.created_at
    from ${table} x, jsonb_array_elements(case when jsonb_typeof(x.channels) = 'array' then x.channels else '[]'::jsonb end)
      with ordinality as t(channel, ord)
    where ${where}`

const CHANNELS = `(select coalesce(json_agg(json_build_object('source', c.source, 'gateId', c."gateId", 'index', c.index, 'channel', c.channel)
    order by c.source desc, c.created_at, c."gateId", c.index), '[]'::json)
  from (${channelsOf("run", "runs", "null::text", "x.id = $1")} union all ${channelsOf("gate", "gates", "x.id", "x.run_id = $1")}) c)`

const DETAIL = `select json_build_object(
    'run', ${runJson("r")},
    'steps', ${jsonArray(stepJson("s"), "(select * from steps where run_id = $1 order by seq) s")},
    'state', (select ${stateJson("t")} from state_streams t where t.run_id = $1 and t.name = 'run:' || $1),
    'stateStreams', ${jsonArray(stateStreamJson("t"), "(select * from state_streams where run_id = $1 order by created_at, name) t")},
    'stateVersions', ${jsonArray(stateVersionJson("v"), "(select * from state_versions where run_id = $1 order by stream, version) v")},
    'usage', ${jsonArray(usageJson("u"), "(select * from usage_records where run_id = $1 order by seq) u")},
    'gates', ${jsonArray(gateJson("g", tokenSql("g")), "(select * from gates where run_id = $1 order by created_at, id) g")},
    'recoveryAttempts', ${jsonArray(recoveryJson("a"), "(select * from recovery_attempts where run_id = $1 order by created_at, id) a")},
    'channelDeliveries', ${jsonArray(deliveryJson("d"), "(select * from channel_deliveries where run_id = $1 order by created_at, id) d")},
    'runEdges', ${jsonArray(edgeJson("e"), "(select * from run_edges where parent_run_id = $1 order by created_at, id) e")},
    'childRuns', ${
  jsonArray(
    runJson("c"),
    "(select c.* from run_edges e join run_read c on c.id = e.child_run_id where e.parent_run_id = $1 order by e.created_at, e.id) c"
  )
},
    'channels', ${CHANNELS},
    'events', ${jsonArray(eventJson("e"), "(select * from events where category = 'run' and stream_id = $1 order by seq) e")}
  )::text as body
  from run_read r where r.id = $1`

const CHECKPOINT_FIELDS = `'stepId', s.id, 'name', s.name, 'inputHash', s.input_hash, 'output', s.output, 'completedAt', ${iso("s.completed_at")}`
/** A checkpoint a person gave (resolve `complete`) says who; the others carry no extra field. */
const CHECKPOINT = `case when s.resolution = 'complete'
    then json_build_object(${CHECKPOINT_FIELDS}, 'resolvedBy', s.resolved_by)
    else json_build_object(${CHECKPOINT_FIELDS}) end`

const CHECKPOINTS = `select json_build_object(
    'run', ${runJson("r")},
    'checkpoints', ${
  jsonArray(
    CHECKPOINT,
    "(select * from steps where run_id = $1 and status = 'completed' order by seq) s"
  )
}
  )::text as body
  from run_read r where r.id = $1`

/** Newest first; the cursor is the last row's `createdAt|id`, so a page never repeats or skips a run. */
const LIST = `with page as (
    select * from run_read
    where ($1::text is null or status = $1) and ($2::text is null or workflow_name = $2) and ($3::text is null or queue = $3)
      and ($4::timestamptz is null or created_at > $4) and ($5::timestamptz is null or created_at < $5)
      and ($6::jsonb is null or metadata @> $6)
      and ($8::text is null or (created_at, id) < (split_part($8, '|', 1)::timestamptz, split_part($8, '|', 2)))
    order by created_at desc, id desc limit $7
  )
  select json_build_object(
    'runs', ${jsonArray(runJson("r"), "(select * from page order by created_at desc, id desc) r")},
    'next', (select case when count(*) = $7 then (
      select ${iso("p.created_at")} || '|' || p.id from page p order by p.created_at, p.id limit 1) end from page)
  )::text as body`

export interface RunFilter {
  readonly status?: string | undefined
  readonly workflowName?: string | undefined
  readonly queue?: string | undefined
  readonly createdAfter?: string | undefined
  readonly createdBefore?: string | undefined
  /** JSON text of an object the run's metadata must contain. */
  readonly metadata?: string | undefined
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

/** Read side: answers come from the read models only, never by folding events. */
export class RunQueries extends Effect.Service<RunQueries>()("Tidebase/RunQueries", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    const one = (name: string, text: string, params: ReadonlyArray<unknown>) =>
      pool.query<{ body: JsonText }>({ name, text, params }).pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), (row) => row.body)),
        Effect.orDie
      )

    const exists = (runId: string) =>
      pool.query({ name: "tidebase_run_exists", text: "select 1 from runs where id = $1", params: [runId] }).pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.orDie
      )

    /** `{run, steps, …, events}` of v0.6, complete, for a run of any length. */
    const detail = (runId: string) => one("tidebase_run_detail", DETAIL, [runId])

    /** `{run, checkpoints}`: every completed step in one read, so a resume replays N steps without N round trips. */
    const checkpoints = (runId: string) => one("tidebase_run_checkpoints", CHECKPOINTS, [runId])

    /** `{runs, next}`: a page of runs matching every filter given. */
    const list = (filter: RunFilter) =>
      Effect.map(
        one("tidebase_run_list", LIST, [
          filter.status ?? null,
          filter.workflowName ?? null,
          filter.queue ?? null,
          filter.createdAfter ?? null,
          filter.createdBefore ?? null,
          filter.metadata ?? null,
          filter.limit ?? 100,
          filter.cursor ?? null
        ]),
        Option.getOrElse(() => `{"runs":[],"next":null}`)
      )

    return { exists, detail, checkpoints, list } as const
  })
}) {}
