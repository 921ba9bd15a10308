import type { QueueConfig, QueueSummary, Run, ScheduleModel } from "@tidebase/api"
import { newRunId } from "@tidebase/domain"
import type { Context } from "effect"
import { Effect } from "effect"
import { TidebaseRequestError } from "./Errors.js"
import { request } from "./Request.js"
import type { TidebaseClient } from "./TidebaseClient.js"

type Client = Context.Tag.Service<TidebaseClient>

export interface EnqueueOptions {
  /** The run's id (made here when absent, so a retried enqueue finds its run). */
  readonly runId?: string
  readonly input?: unknown
  readonly metadata?: unknown
  readonly queue?: string
  /** One active run per (queue, dedupeKey): enqueuing the key again answers that run. */
  readonly dedupeKey?: string | null
  readonly delayMs?: number | null
  readonly runAt?: Date | string | null
  /** Tries before the run fails with `max_retries` (server default 3). */
  readonly maxAttempts?: number | null
  /** Higher first. */
  readonly priority?: number | null
  readonly deadlineMs?: number | null
  readonly recoveryWebhook?: string | null
  readonly channels?: unknown
}

export interface Enqueued {
  readonly run: Run
  /** True when an active run with the same dedupe key (or the same id) answered instead. */
  readonly deduplicated: boolean
}

export interface ClaimOptions {
  readonly leaseOwner?: string
  readonly limit?: number
  /** With nothing ready, wait up to this long for a run (long poll). */
  readonly waitMs?: number
  readonly leaseMs?: number
}

export interface QueueSettings {
  readonly concurrency?: number | null
  readonly ratePerMinute?: number | null
  readonly invokeUrl?: string | null
}

export interface ScheduleOptions {
  /** 5 fields (minute first), or 6 with a leading seconds field. */
  readonly cron: string
  readonly workflowName: string
  readonly input?: unknown
  readonly queue?: string | null
  readonly maxAttempts?: number | null
  readonly enabled?: boolean
  /** The zone the cron fields are read in (default UTC). */
  readonly timezone?: string | null
}

/** The queue every enqueue goes to unless it names one. */
export const DEFAULT_QUEUE = "default"

const noRun = { runId: "" }

export const enqueue = (client: Client, workflowName: string, options: EnqueueOptions = {}): Effect.Effect<Enqueued, TidebaseRequestError> => {
  const { queue, runAt, ...rest } = options
  const payload = {
    ...rest,
    workflowName,
    runId: options.runId ?? newRunId(),
    ...(runAt === undefined || runAt === null ? {} : { runAt: new Date(runAt) })
  }
  return request(client.queues.enqueue({ path: { queue: queue ?? DEFAULT_QUEUE }, payload }), { runId: payload.runId })
}

export const claim = (client: Client, queues: ReadonlyArray<string>, options: ClaimOptions = {}) =>
  request(client.queues.claim({ payload: { queues, ...options } }), noRun)

export const listQueues = (client: Client): Effect.Effect<ReadonlyArray<QueueSummary>, TidebaseRequestError> =>
  Effect.map(request(client.queues.list(), noRun), ({ queues }) => queues)

export const configureQueue = (client: Client, queue: string, settings: QueueSettings): Effect.Effect<QueueConfig, TidebaseRequestError> =>
  Effect.map(request(client.queues.configure({ path: { queue }, payload: settings }), noRun), ({ config }) => config)

export const setSchedule = (client: Client, name: string, options: ScheduleOptions): Effect.Effect<ScheduleModel, TidebaseRequestError> =>
  Effect.map(request(client.schedules.set({ path: { name }, payload: options }), noRun), ({ schedule }) => schedule)

export const listSchedules = (client: Client): Effect.Effect<ReadonlyArray<ScheduleModel>, TidebaseRequestError> =>
  Effect.map(request(client.schedules.list(), noRun), ({ schedules }) => schedules)

/** False when there was no such schedule. */
export const deleteSchedule = (client: Client, name: string): Effect.Effect<boolean, TidebaseRequestError> =>
  client.schedules.delete({ path: { name } }).pipe(
    Effect.as(true),
    Effect.catchTag("ScheduleNotFound", () => Effect.succeed(false)),
    (effect) => request(effect, noRun)
  )
