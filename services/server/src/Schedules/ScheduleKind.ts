import * as Domain from "@tidebase/domain"
import type { ScheduleAggregate, ScheduleEvent } from "@tidebase/domain"
import type { AggregateKind } from "../EventStore/Aggregate.js"
import type { Projection } from "../EventStore/Projection.js"

/** A schedule's own stream (category `schedule`, keyed by its name): its settings and every fire. */
export const ScheduleKind: AggregateKind<ScheduleAggregate, ScheduleEvent> = {
  category: "schedule",
  empty: Domain.emptySchedule,
  evolve: Domain.evolveSchedule,
  toStored: Domain.scheduleEventToStored,
  fromStored: Domain.scheduleEventFromStored,
  occurredAt: (event) => event.at
}

/** The `schedules` read model: one row per schedule ever set (a deleted one is flagged, so a rebuild agrees). */
export const ScheduleProjection: Projection<ScheduleAggregate, ScheduleEvent> = {
  tables: ["schedules"],
  writes: ({ after }) => {
    const spec = after.spec
    if (spec === undefined) return []
    return [{
      _tag: "Upsert",
      table: "schedules",
      key: "name",
      row: {
        name: spec.name,
        cron: spec.cron,
        timezone: spec.timezone,
        workflowName: spec.workflowName,
        input: spec.input === undefined ? null : JSON.stringify(spec.input),
        queue: spec.queue,
        maxAttempts: spec.maxAttempts,
        enabled: spec.enabled,
        deleted: after.deleted,
        nextRunAt: after.nextRunAt,
        lastEnqueuedAt: after.lastEnqueuedAt,
        createdAt: after.createdAt,
        updatedAt: after.updatedAt
      }
    }]
  }
}
