import { Schema } from "effect"
import { decideCreate } from "./Decide.js"
import type { CreateRun } from "./Decide.js"
import { RunClaimed, RunEnqueued, storedCodec } from "./Events.js"
import { DEFAULT_MAX_ATTEMPTS, queueFailure } from "./QueueRetry.js"
import type { Backoff } from "./QueueRetry.js"
import type { RunEvent } from "./Events.js"
import type { RunAggregate } from "./Run.js"

const iso = (ms: number) => new Date(ms).toISOString()

export interface EnqueueRun extends CreateRun {
  readonly queue: string
  readonly dedupeKey: string | null
  readonly priority: number
  /** When it may be claimed (absent: now). */
  readonly runAt: number | null
  readonly maxAttempts: number | null
}

/** A queue run is a run created straight into `queued`: both events in one append, nothing for an id that exists. */
export const decideEnqueue = (state: RunAggregate, cmd: EnqueueRun): ReadonlyArray<RunEvent> => {
  const created = decideCreate(state, cmd)
  if (created.length === 0) return created
  return [
    ...created,
    new RunEnqueued({
      queue: cmd.queue,
      runAt: iso(cmd.runAt ?? cmd.now),
      dedupeKey: cmd.dedupeKey,
      priority: cmd.priority,
      maxAttempts: cmd.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      at: iso(cmd.now)
    })
  ]
}

export interface ClaimRun {
  readonly leaseOwner: string
  readonly leaseMs: number
  readonly now: number
}

/** A claim takes a run that is still queued and due; anything else (claimed, cancelled meanwhile) is not handed out. */
export const decideClaim = (state: RunAggregate, cmd: ClaimRun): ReadonlyArray<RunEvent> => {
  const run = state.run
  if (run === undefined || run.status !== "queued" || run.queue === null) return []
  if (run.runAt !== null && Date.parse(run.runAt) > cmd.now) return []
  return [
    new RunClaimed({
      leaseOwner: cmd.leaseOwner,
      queue: run.queue,
      leaseExpiresAt: iso(cmd.now + cmd.leaseMs),
      attempt: run.attempt + 1,
      claims: run.claims + 1,
      at: iso(cmd.now)
    })
  ]
}

/** The error a queue run is requeued (or failed) with when its worker stopped renewing its lease. */
export const LEASE_EXPIRED = "lease_expired"

/**
 * A running queue run whose lease has expired: its worker died or hangs, so the try is over. Decided
 * on fresh state (a heartbeat may have renewed it): nothing if it is not running or still leased.
 */
export const decideQueueLeaseExpired = (state: RunAggregate, backoff: Backoff, now: number): ReadonlyArray<RunEvent> => {
  const run = state.run
  if (run === undefined || run.queue === null || run.status !== "running") return []
  if (run.leaseExpiresAt !== null && Date.parse(run.leaseExpiresAt) > now) return []
  return [queueFailure(run, { code: LEASE_EXPIRED, message: `lease of ${run.leaseOwner ?? "its worker"} expired` }, backoff, now)]
}

/** A queue's settings; a null limit is no limit. */
export class QueueConfig extends Schema.Class<QueueConfig>("QueueConfig")({
  name: Schema.String,
  /** At most this many of its runs are running at once. */
  concurrency: Schema.NullOr(Schema.Number),
  /** At most this many claims a minute, spread evenly. */
  ratePerMinute: Schema.NullOr(Schema.Number),
  /** Ready runs are pushed (`run.invoke`) here instead of waiting for a claimer. */
  invokeUrl: Schema.NullOr(Schema.String)
}) {}

/** A queue's settings changed; the event carries all of them as they now are. */
export class QueueConfigured extends Schema.TaggedClass<QueueConfigured>()("queue.configured", {
  config: QueueConfig,
  at: Schema.String
}) {}

export const QueueEvent = Schema.Union(QueueConfigured)
export type QueueEvent = typeof QueueEvent.Type

/** A queue's stream folded: its config and when it was first and last set. */
export interface QueueAggregate {
  readonly version: number
  readonly config: QueueConfig | undefined
  readonly createdAt: string | null
  readonly updatedAt: string | null
}

export const emptyQueue: QueueAggregate = { version: 0, config: undefined, createdAt: null, updatedAt: null }

export const evolveQueue = (state: QueueAggregate, event: QueueEvent): QueueAggregate => ({
  version: state.version + 1,
  config: event.config,
  createdAt: state.createdAt ?? event.at,
  updatedAt: event.at
})

/** A change to a queue's settings: an absent field keeps its value, null clears it. */
export interface ConfigureQueue {
  readonly name: string
  readonly concurrency?: number | null | undefined
  readonly ratePerMinute?: number | null | undefined
  readonly invokeUrl?: string | null | undefined
  readonly now: number
}

export const decideConfigureQueue = (state: QueueAggregate, cmd: ConfigureQueue): ReadonlyArray<QueueEvent> => {
  const current = state.config ?? new QueueConfig({ name: cmd.name, concurrency: null, ratePerMinute: null, invokeUrl: null })
  const next = new QueueConfig({
    name: cmd.name,
    concurrency: cmd.concurrency === undefined ? current.concurrency : cmd.concurrency,
    ratePerMinute: cmd.ratePerMinute === undefined ? current.ratePerMinute : cmd.ratePerMinute,
    invokeUrl: cmd.invokeUrl === undefined ? current.invokeUrl : cmd.invokeUrl
  })
  const same = state.config !== undefined && next.concurrency === current.concurrency &&
    next.ratePerMinute === current.ratePerMinute && next.invokeUrl === current.invokeUrl
  return same ? [] : [new QueueConfigured({ config: next, at: iso(cmd.now) })]
}

const queueEventCodec = storedCodec(QueueEvent)
export const queueEventToStored = queueEventCodec.toStored
export const queueEventFromStored = queueEventCodec.fromStored
