import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import * as Domain from "@tidebase/domain"
import { Effect } from "effect"
import { ScheduleCommands } from "./ScheduleCommands.js"
import { ScheduleQueries } from "./ScheduleQueries.js"

/** A schedule as the wire shows it. */
const wireSchedule = (state: Domain.ScheduleAggregate): Api.ScheduleModel => {
  const spec = state.spec!
  return {
    name: spec.name,
    cron: spec.cron,
    timezone: spec.timezone,
    workflowName: spec.workflowName,
    input: spec.input ?? {},
    queue: spec.queue,
    maxAttempts: spec.maxAttempts,
    enabled: spec.enabled,
    nextRunAt: state.nextRunAt,
    lastEnqueuedAt: state.lastEnqueuedAt,
    createdAt: state.createdAt!,
    updatedAt: state.updatedAt!
  }
}

export const SchedulesHttp = HttpApiBuilder.group(Api.TidebaseApi, "schedules", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* ScheduleCommands
    const queries = yield* ScheduleQueries

    return handlers
      .handle("set", ({ path, payload }) =>
        Effect.map(
          commands.set(
            new Domain.ScheduleSpec({
              name: path.name,
              cron: payload.cron.trim(),
              timezone: payload.timezone ?? Domain.DEFAULT_TIMEZONE,
              workflowName: payload.workflowName,
              input: payload.input ?? {},
              queue: payload.queue ?? Domain.DEFAULT_SCHEDULE_QUEUE,
              maxAttempts: payload.maxAttempts ?? null,
              enabled: payload.enabled ?? true
            })
          ),
          (after) => ({ schedule: wireSchedule(after) })
        ))
      .handle("list", () => Effect.map(queries.list, (schedules) => ({ schedules })))
      .handle("delete", ({ path }) =>
        Effect.flatMap(commands.remove(path.name), (deleted) =>
          deleted ? Effect.succeed({ deleted: path.name }) : Effect.fail(Api.ScheduleNotFound.of(path.name))))
  })
)
