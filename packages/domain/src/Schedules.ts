import { Cron, Either, Schema } from "effect"
import { storedCodec } from "./Events.js"
import { sha256Hex } from "./Sha256.js"

const iso = (ms: number) => new Date(ms).toISOString()

/** Cron times are read in UTC unless a schedule names its time zone. */
export const DEFAULT_TIMEZONE = "UTC"
/** The queue a schedule's runs go to when it names none. */
export const DEFAULT_SCHEDULE_QUEUE = "default"

/**
 * A cron expression: 5 fields (minute first), or 6 with a leading seconds field (ours). Left is
 * why it is not one, in words for a 400.
 */
export const parseCron = (expression: string, timezone: string = DEFAULT_TIMEZONE): Either.Either<Cron.Cron, string> => {
  const fields = expression.trim().split(/\s+/).length
  if (fields !== 5 && fields !== 6) return Either.left(`must have 5 fields (or 6 with seconds first), got ${fields}`)
  return Either.mapLeft(Cron.parse(expression, timezone), (error) => error.message)
}

export const isTimezone = (timezone: string) => Either.isRight(Cron.parse("* * * * *", timezone))

/** The first fire time strictly after `after`. */
export const nextFire = (cron: Cron.Cron, after: number) => Cron.next(cron, new Date(after)).getTime()

export class ScheduleSpec extends Schema.Class<ScheduleSpec>("ScheduleSpec")({
  name: Schema.String,
  cron: Schema.String,
  timezone: Schema.String,
  workflowName: Schema.String,
  input: Schema.Unknown,
  queue: Schema.String,
  maxAttempts: Schema.NullOr(Schema.Number),
  enabled: Schema.Boolean
}) {}

/** The schedule was created or changed: `nextRunAt` is its next fire time from then (null when disabled). */
export class ScheduleSet extends Schema.TaggedClass<ScheduleSet>()("schedule.set", {
  schedule: ScheduleSpec,
  nextRunAt: Schema.NullOr(Schema.String),
  at: Schema.String
}) {}

/** A fire time came: its run was enqueued (in the same append, on the run's own stream). */
export class ScheduleFired extends Schema.TaggedClass<ScheduleFired>()("schedule.fired", {
  fireAt: Schema.String,
  runId: Schema.String,
  /** Fire times missed while no server was running, skipped: only the latest one is enqueued. */
  skipped: Schema.Number,
  nextRunAt: Schema.String,
  at: Schema.String
}) {}

export class ScheduleDeleted extends Schema.TaggedClass<ScheduleDeleted>()("schedule.deleted", {
  at: Schema.String
}) {}

export const ScheduleEvent = Schema.Union(ScheduleSet, ScheduleFired, ScheduleDeleted)
export type ScheduleEvent = typeof ScheduleEvent.Type

export interface ScheduleAggregate {
  readonly version: number
  /** Undefined before it is first set. */
  readonly spec: ScheduleSpec | undefined
  readonly deleted: boolean
  readonly nextRunAt: string | null
  readonly lastEnqueuedAt: string | null
  readonly lastRunId: string | null
  readonly createdAt: string | null
  readonly updatedAt: string | null
}

export const emptySchedule: ScheduleAggregate = {
  version: 0,
  spec: undefined,
  deleted: false,
  nextRunAt: null,
  lastEnqueuedAt: null,
  lastRunId: null,
  createdAt: null,
  updatedAt: null
}

export const evolveSchedule = (state: ScheduleAggregate, event: ScheduleEvent): ScheduleAggregate => {
  const version = state.version + 1
  switch (event._tag) {
    case "schedule.set":
      return {
        ...state,
        version,
        spec: event.schedule,
        deleted: false,
        nextRunAt: event.nextRunAt,
        // A schedule deleted and set again starts over.
        createdAt: state.deleted ? event.at : state.createdAt ?? event.at,
        lastEnqueuedAt: state.deleted ? null : state.lastEnqueuedAt,
        updatedAt: event.at
      }
    case "schedule.fired":
      return { ...state, version, nextRunAt: event.nextRunAt, lastEnqueuedAt: event.at, lastRunId: event.runId, updatedAt: event.at }
    case "schedule.deleted":
      return { ...state, version, deleted: true, nextRunAt: null, updatedAt: event.at }
  }
}

export const isScheduleLive = (state: ScheduleAggregate) => state.spec !== undefined && !state.deleted

export interface SetSchedule {
  readonly spec: ScheduleSpec
  readonly now: number
}

/** Setting a schedule (again) computes its next fire time from now; the same settings twice change nothing. */
export const decideSetSchedule = (state: ScheduleAggregate, cmd: SetSchedule): ReadonlyArray<ScheduleEvent> => {
  if (isScheduleLive(state) && JSON.stringify(state.spec) === JSON.stringify(cmd.spec)) return []
  const cron = Either.getOrThrow(parseCron(cmd.spec.cron, cmd.spec.timezone))
  return [
    new ScheduleSet({ schedule: cmd.spec, nextRunAt: cmd.spec.enabled ? iso(nextFire(cron, cmd.now)) : null, at: iso(cmd.now) })
  ]
}

export const decideDeleteSchedule = (state: ScheduleAggregate, now: number): ReadonlyArray<ScheduleEvent> =>
  isScheduleLive(state) ? [new ScheduleDeleted({ at: iso(now) })] : []

/** The run a fire time enqueues has an id of its own making: one fire time can never make two runs. */
export const scheduledRunId = (name: string, fireAt: string) => `run_${sha256Hex(`schedule\u0000${name}\u0000${fireAt}`).slice(0, 32)}`

/** At most this many missed fire times are stepped over to find the latest (a year of minutes, about). */
const MAX_SKIPPED = 600_000

export interface DueFire {
  readonly fireAt: number
  readonly skipped: number
  readonly nextRunAt: number
}

/**
 * The fire time a schedule owes now, if any: after downtime only the latest missed one (the others
 * are counted as skipped), and the next fire time after now.
 */
export const dueFire = (state: ScheduleAggregate, now: number): DueFire | undefined => {
  if (!isScheduleLive(state) || !state.spec!.enabled || state.nextRunAt === null) return undefined
  let fireAt = Date.parse(state.nextRunAt)
  if (fireAt > now) return undefined
  const cron = Either.getOrThrow(parseCron(state.spec!.cron, state.spec!.timezone))
  let skipped = 0
  for (let next = nextFire(cron, fireAt); next <= now && skipped < MAX_SKIPPED; next = nextFire(cron, fireAt)) {
    fireAt = next
    skipped++
  }
  return { fireAt, skipped, nextRunAt: nextFire(cron, Math.max(now, fireAt)) }
}

const scheduleEventCodec = storedCodec(ScheduleEvent)
export const scheduleEventToStored = scheduleEventCodec.toStored
export const scheduleEventFromStored = scheduleEventCodec.fromStored
