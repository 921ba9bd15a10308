import { Effect, Option } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { tokenSql } from "../Gates/GateTokens.js"
import { advance, checkpointsBody, DetailCache, detailBody, rendered, SEQ_SEPARATOR, STEP_SEPARATOR } from "./DetailCache.js"
import type { RenderedDelta, RenderedRun } from "./DetailCache.js"
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

/** Everything of a run's detail but its steps and events, as one JSON object. */
const DETAIL_REST = `json_build_object(
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
    'channels', ${CHANNELS}
  )::text`

/** The steps named by the run's `step.*` events after version $2: the only steps those events changed. */
const STEPS_SINCE = `and s.name in (select e.payload ->> 'name' from events e
    where e.category = 'run' and e.stream_id = $1 and e.seq > $2 and e.type like 'step.%')`

/**
 * A run's detail in pieces (see DetailCache): its stream version, the run, the rest, and the
 * steps and events rendered from scratch or, `since` a version, only what changed after it.
 */
const detailSql = (since: boolean) =>
  `select v.version::int as version, ${runJson("r")}::text as run, ${DETAIL_REST} as rest,
    (select string_agg(s.seq || E'${SEQ_SEPARATOR}' || (${stepJson("s")})::text, E'${STEP_SEPARATOR}' order by s.seq)
      from steps s where s.run_id = $1 ${since ? STEPS_SINCE : ""}) as steps,
    (select string_agg((${eventJson("e")})::text, ',' order by e.seq)
      from events e where e.category = 'run' and e.stream_id = $1 ${since ? "and e.seq > $2" : ""}) as events
  from run_read r join event_streams v on v.category = 'run' and v.stream_id = r.id
  where r.id = $1`

const CHECKPOINT_FIELDS = `'stepId', s.id, 'name', s.name, 'inputHash', s.input_hash, 'output', s.output, 'completedAt', ${iso("s.completed_at")}`
/** A checkpoint a person gave (resolve `complete`) says who; the others carry no extra field. */
const CHECKPOINT = `case when s.resolution = 'complete'
    then json_build_object(${CHECKPOINT_FIELDS}, 'resolvedBy', s.resolved_by)
    else json_build_object(${CHECKPOINT_FIELDS}) end`

/**
 * `{run, checkpoints}` in pieces, like the detail: every completed step from scratch or, `since`
 * a version, each step the later events name (an empty piece for one that is not completed).
 */
const checkpointsSql = (since: boolean) =>
  `select v.version::int as version, ${runJson("r")}::text as run,
    (select string_agg(s.seq || E'${SEQ_SEPARATOR}' || case when s.status = 'completed' then (${CHECKPOINT})::text else '' end,
        E'${STEP_SEPARATOR}' order by s.seq)
      from steps s where s.run_id = $1 ${since ? STEPS_SINCE : "and s.status = 'completed'"}) as steps,
    null::text as events
  from run_read r join event_streams v on v.category = 'run' and v.stream_id = r.id
  where r.id = $1`

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
    const cache = yield* DetailCache

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

    type RenderedRow = RenderedDelta & { readonly run: JsonText; readonly rest?: JsonText }

    /**
     * A long run's read rendered once and then only as far as its stream grew (DetailCache):
     * `sql(false)` renders from scratch, `sql(true)` after the version `$2` that is held.
     */
    const renderedRead = (
      name: string,
      sql: (since: boolean) => string,
      body: (row: RenderedRow, run: RenderedRun) => ReadonlyArray<Uint8Array>
    ) => {
      const read = (runId: string): Effect.Effect<Option.Option<ReadonlyArray<Uint8Array>>> =>
        Effect.gen(function*() {
          const key = `${name}:${runId}`
          const held = cache.get(key)
          const rows = yield* pool.query<RenderedRow>(
            held === undefined
              ? { name: `tidebase_run_${name}`, text: sql(false), params: [runId] }
              : { name: `tidebase_run_${name}_since`, text: sql(true), params: [runId, held.version] }
          ).pipe(Effect.orDie)
          const row = rows[0]
          if (row === undefined) return Option.none()
          // A stream never shrinks; a held version past it belongs to another database.
          if (held !== undefined && row.version < held.version) {
            cache.drop(key)
            return yield* read(runId)
          }
          const run = held === undefined ? rendered(row) : advance(held, row)
          cache.put(key, run)
          return Option.some(body(row, run))
        })
      return read
    }

    /** `{run, steps, …, events}` of v0.6, complete, for a run of any length. */
    const detail = renderedRead("detail", detailSql, (row, run) => detailBody(row.run, run, row.rest ?? "{}"))

    /** `{run, checkpoints}`: every completed step in one read, so a resume replays N steps without N round trips. */
    const checkpoints = renderedRead("checkpoints", checkpointsSql, (row, run) => checkpointsBody(row.run, run))

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
  }),
  dependencies: [DetailCache.Default]
}) {}
