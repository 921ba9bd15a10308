import * as Domain from "@tidebase/domain"
import { Clock, Effect, Schedule } from "effect"
import { fold } from "../EventStore/Aggregate.js"
import { EventStore, VersionConflict } from "../EventStore/EventStore.js"
import { RunCache } from "../Runs/RunCache.js"
import { withDeliveries } from "../Runs/RunCommandRunner.js"
import { RunKind } from "../Runs/RunKind.js"
import { RunLoader } from "../Runs/RunLoad.js"
import { ScheduleKind } from "./ScheduleKind.js"

const RACE_RETRIES = Schedule.exponential("2 millis", 1.5).pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(30)))

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Schedules: set, delete, and fire. A fire appends `schedule.fired` to the schedule's stream and
 * the enqueued run to its own, in one statement at the schedule's expected version: of any number
 * of replicas firing one fire time, one append lands; the others decide again and find it done.
 */
export class ScheduleCommands extends Effect.Service<ScheduleCommands>()("Tidebase/ScheduleCommands", {
  effect: Effect.gen(function*() {
    const store = yield* EventStore
    const loader = yield* RunLoader
    const cache = yield* RunCache

    const loadSchedule = (name: string) =>
      Effect.map(store.readStream(ScheduleKind.category, name), (stored) =>
        fold(ScheduleKind, stored.map((e) => ScheduleKind.fromStored(e.type, e.payload))))

    const onStream = <A>(
      name: string,
      decide: (state: Domain.ScheduleAggregate, now: number) => ReadonlyArray<Domain.ScheduleEvent>,
      reply: (after: Domain.ScheduleAggregate, changed: boolean) => A
    ) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const before = yield* loadSchedule(name)
        const events = decide(before, now)
        const after = fold(ScheduleKind, events, before)
        yield* store.append([{ kind: ScheduleKind, streamId: name, expectedVersion: before.version, events, before, after }])
        return reply(after, events.length > 0)
      }).pipe(Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: RACE_RETRIES }), Effect.orDie)

    const set = (spec: Domain.ScheduleSpec) => onStream(spec.name, (state, now) => Domain.decideSetSchedule(state, { spec, now }), (after) => after)

    /** False when there was no such schedule (never set, or deleted already). */
    const remove = (name: string) => onStream(name, Domain.decideDeleteSchedule, (_, deleted) => deleted)

    /** Enqueues the fire time that is due, if one is; answers the run id it enqueued. */
    const fire = (name: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const before = yield* loadSchedule(name)
        const due = Domain.dueFire(before, now)
        if (due === undefined) return undefined
        const spec = before.spec!
        const fireAt = iso(due.fireAt)
        const runId = Domain.scheduledRunId(name, fireAt)
        const scheduleEvents = [
          new Domain.ScheduleFired({ fireAt, runId, skipped: due.skipped, nextRunAt: iso(due.nextRunAt), at: iso(now) })
        ]
        const runBefore = (yield* loader.load(runId, {}))?.aggregate ?? Domain.emptyAggregate
        const runEvents = withDeliveries(
          runBefore,
          Domain.decideEnqueue(runBefore, {
            runId,
            workflowName: spec.workflowName,
            input: spec.input ?? {},
            metadata: { schedule: name, fireAt },
            recoveryWebhook: null,
            channels: null,
            queue: spec.queue,
            dedupeKey: null,
            priority: 0,
            runAt: null,
            maxAttempts: spec.maxAttempts,
            now
          }),
          now
        )
        const after = fold(ScheduleKind, scheduleEvents, before)
        yield* store.append([
          { kind: ScheduleKind, streamId: name, expectedVersion: before.version, events: scheduleEvents, before, after },
          { kind: RunKind, streamId: runId, expectedVersion: runBefore.version, events: runEvents, before: runBefore, after: fold(RunKind, runEvents, runBefore) }
        ])
        cache.evict(runId)
        return runId
      }).pipe(Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: RACE_RETRIES }), Effect.orDie)

    return { set, remove, fire } as const
  }),
  dependencies: [RunLoader.Default, RunCache.Default]
}) {}
