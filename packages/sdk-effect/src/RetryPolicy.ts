import { Clock, Duration, Effect, Option, Schedule, ScheduleDecision, ScheduleIntervals } from "effect"

/**
 * A Schedule stepped by hand rather than through `Effect.retry`: the step has to be marked
 * `failed_retryable` on the server before the wait, and only when another attempt will follow.
 */
export const retryPolicy = <In>(retries: number | Schedule.Schedule<unknown, In, never> | undefined) =>
  Effect.sync(() => {
    const schedule: Schedule.Schedule<unknown, In, never> = typeof retries === "object"
      ? retries
      : Schedule.intersect(Schedule.exponential("100 millis"), Schedule.recurs(retries ?? 0))
    let state: unknown = schedule.initial
    /** The delay before the next attempt, or none when the failure is final. */
    const next = (error: In): Effect.Effect<Option.Option<Duration.Duration>> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.map(schedule.step(now, error, state), ([nextState, _, decision]) => {
          state = nextState
          return ScheduleDecision.isDone(decision)
            ? Option.none()
            : Option.some(Duration.millis(Math.max(0, ScheduleIntervals.start(decision.intervals) - now)))
        }))
    return { next } as const
  })
