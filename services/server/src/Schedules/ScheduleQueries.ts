import type { ScheduleModel } from "@tidebase/api"
import { Effect } from "effect"
import { PgPool } from "../Database/PgPool.js"

const COLUMNS = `name, cron, timezone, workflow_name as "workflowName", coalesce(input, '{}'::jsonb) as input, queue,
  max_attempts as "maxAttempts", enabled, next_run_at as "nextRunAt", last_enqueued_at as "lastEnqueuedAt",
  created_at as "createdAt", updated_at as "updatedAt"`

export class ScheduleQueries extends Effect.Service<ScheduleQueries>()("Tidebase/ScheduleQueries", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    const list = pool.query<ScheduleModel>({
      name: "tidebase_schedules_list",
      text: `select ${COLUMNS} from schedules where not deleted order by name`,
      params: []
    }).pipe(Effect.orDie)

    return { list } as const
  })
}) {}
