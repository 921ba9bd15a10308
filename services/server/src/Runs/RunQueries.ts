import { SqlClient } from "@effect/sql"
import type { Event, Run, RunDetail, Step } from "@tidebase/api"
import { Effect, Option } from "effect"
import { EventStore } from "../EventStore/EventStore.js"
import type { StoredEvent } from "../EventStore/EventStore.js"
import { toWireRun } from "./Rows.js"
import type { RunRow } from "./Rows.js"

export const toWireEvent = (e: StoredEvent): Event => ({
  id: String(e.position),
  runId: e.streamId,
  seq: e.seq,
  position: e.position,
  type: e.type,
  payload: e.payload,
  createdAt: e.createdAt
})

/** Read side: answers come from the read models only, never by folding events. */
export class RunQueries extends Effect.Service<RunQueries>()("Tidebase/RunQueries", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const events = yield* EventStore

    const findRun = (runId: string) =>
      sql<RunRow>`select * from run_read where id = ${runId}`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toWireRun)),
        Effect.orDie
      )

    const steps = (runId: string) =>
      sql<Step>`select * from steps where run_id = ${runId} order by started_at, id`.pipe(Effect.orDie)

    const detail = (runId: string) =>
      Effect.gen(function*() {
        const run = yield* findRun(runId)
        if (Option.isNone(run)) return Option.none<RunDetail>()
        const [runSteps, log] = yield* Effect.all([steps(runId), events.readStream(runId)], { concurrency: 2 })
        return Option.some<RunDetail>({
          run: run.value,
          steps: runSteps,
          state: null,
          stateStreams: [],
          stateVersions: [],
          runEdges: [],
          childRuns: [],
          recoveryAttempts: [],
          channels: [],
          channelDeliveries: [],
          gates: [],
          usage: [],
          events: log.map(toWireEvent)
        })
      })

    const list = (filter: { readonly status?: string | undefined; readonly workflowName?: string | undefined; readonly limit?: number | undefined }) =>
      sql<RunRow>`
        select * from run_read
        where ${sql.and([
          filter.status === undefined ? sql`true` : sql`status = ${filter.status}`,
          filter.workflowName === undefined ? sql`true` : sql`workflow_name = ${filter.workflowName}`
        ])}
        order by created_at desc, id desc limit ${filter.limit ?? 100}`.pipe(
        Effect.map((rows): ReadonlyArray<Run> => rows.map(toWireRun)),
        Effect.orDie
      )

    /** Every completed step in one read, so a resume replays N steps without N round trips. */
    const checkpoints = (runId: string) =>
      sql<{ stepId: string; name: string; inputHash: string; output: unknown; completedAt: string | null }>`
        select id as step_id, name, input_hash, output, completed_at from steps
        where run_id = ${runId} and status = 'completed' order by started_at, id`.pipe(Effect.orDie)

    return { findRun, detail, list, checkpoints } as const
  }),
  dependencies: [EventStore.Default]
}) {}
