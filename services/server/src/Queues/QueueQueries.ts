import type { QueueConfig, QueueSummary } from "@tidebase/api"
import { Effect } from "effect"
import { PgPool } from "../Database/PgPool.js"

/** Every queue that has runs or settings: its runs counted by status, and its settings (null limits when never set). */
const LIST = `select n.name,
    count(*) filter (where r.status = 'queued')::int as queued,
    count(*) filter (where r.status = 'running')::int as running,
    count(*) filter (where r.status = 'failed')::int as failed,
    count(*) filter (where r.status = 'completed')::int as completed,
    count(*) filter (where r.status = 'cancelled')::int as cancelled,
    q.concurrency, q.rate_per_minute as "ratePerMinute", q.invoke_url as "invokeUrl"
  from (select distinct queue as name from runs where queue is not null union select name from queues) n
  left join runs r on r.queue = n.name
  left join queues q on q.name = n.name
  group by n.name, q.concurrency, q.rate_per_minute, q.invoke_url
  order by n.name`

export class QueueQueries extends Effect.Service<QueueQueries>()("Tidebase/QueueQueries", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    const list = Effect.map(
      pool.query<Omit<QueueSummary, "config"> & Omit<QueueConfig, "name">>({ name: "tidebase_queues_list", text: LIST, params: [] }),
      (rows): ReadonlyArray<QueueSummary> =>
        rows.map(({ concurrency, invokeUrl, ratePerMinute, ...counts }) => ({
          ...counts,
          config: { name: counts.name, concurrency, ratePerMinute, invokeUrl }
        }))
    ).pipe(Effect.orDie)

    return { list } as const
  })
}) {}
