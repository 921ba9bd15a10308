import { Duration, Effect, Layer } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { ScheduleCommands } from "./ScheduleCommands.js"

const MIN_SLEEP = Duration.millis(5)
const BATCH = 100

/**
 * The Scheduler: in every server process, enqueues each schedule's due fire time. Replicas race
 * on the schedule stream's expected version, so each fire time is enqueued once (and its run id is
 * derived from it, so not even a lost race could make two). It sleeps until the next fire time it
 * knows of, never longer than `tickMs` (a schedule set on another replica is seen on the next tick).
 */
export const SchedulerLive = (tickMs: number) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const pool = yield* PgPool
      const schedules = yield* ScheduleCommands
      const tick = Duration.millis(tickMs)

      const round = Effect.gen(function*() {
        const due = yield* pool.query<{ name: string }>({
          name: "tidebase_schedules_due",
          text: `select name from schedules where enabled and not deleted and next_run_at <= now() order by next_run_at limit $1`,
          params: [BATCH]
        })
        yield* Effect.forEach(due, ({ name }) =>
          schedules.fire(name).pipe(
            Effect.catchAllCause((cause) => Effect.logWarning(`schedule ${name} could not be fired`, cause))
          ), { discard: true })
        if (due.length === BATCH) return MIN_SLEEP
        const [next] = yield* pool.query<{ ms: number | null }>({
          name: "tidebase_schedules_next",
          text: `select extract(epoch from min(next_run_at) - now()) * 1000 as ms from schedules where enabled and not deleted`,
          params: []
        })
        return next?.ms == null ? tick : Duration.clamp(Duration.millis(Math.ceil(Number(next.ms))), { minimum: MIN_SLEEP, maximum: tick })
      }).pipe(
        Effect.catchAllCause((cause) => Effect.as(Effect.logWarning("scheduler round failed; trying again", cause), tick))
      )

      yield* round.pipe(Effect.flatMap(Effect.sleep), Effect.forever, Effect.forkScoped)
    })
  )
