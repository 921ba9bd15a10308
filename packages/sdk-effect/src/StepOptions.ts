import type { ReplayMode } from "@tidebase/domain"
import { Duration } from "effect"
import type { Schedule, Schema } from "effect"

export interface StepOptions<A = unknown, E = unknown> {
  /** Hashed (sorted-key JSON) and checked on replay: a checkpoint written for other input is refused. */
  readonly input?: unknown
  /** Encodes the checkpoint and decodes it on replay, so a Date or a branded value comes back as itself. */
  readonly output?: Schema.Schema<A, any, never>
  /** A count of retries, or a Schedule fed with the step's error. */
  readonly retries?: number | Schedule.Schedule<unknown, E, never>
  readonly timeout?: Duration.DurationInput
  /** Systems the step writes to (`read` for none); an unkeyed write parks a final failure in manual_review. */
  readonly sideEffects?: ReadonlyArray<string>
  readonly idempotencyKey?: string
  readonly replay?: ReplayMode
  readonly checkpointInvariant?: string
  readonly verifiedBy?: string
  /**
   * A step recorded after it runs (no side effects) is announced as running once its body has
   * taken this long (default 1 second); a quicker one is recorded in a single request.
   */
  readonly announceAfter?: Duration.DurationInput
}

const DEFAULT_ANNOUNCE_AFTER = Duration.seconds(1)

export const announceAfter = (options: StepOptions<any, any>): Duration.Duration =>
  options.announceAfter === undefined ? DEFAULT_ANNOUNCE_AFTER : Duration.decode(options.announceAfter)

/**
 * A step nobody minds running twice (it writes nowhere, and its replay is automatic) may run
 * before it is recorded; any other holds the step lease before its body starts.
 */
export const recordsAfterRunning = (options: StepOptions<any, any>): boolean =>
  (options.replay === undefined || options.replay === "auto") &&
  (options.sideEffects === undefined || options.sideEffects.every((s) => s === "read"))

/** The JSON part of the options, stored with the step; the server derives its resume contract from it. */
export const wireOptions = (options: StepOptions<any, any>): Record<string, unknown> => {
  const wire: Record<string, unknown> = {}
  if (options.sideEffects !== undefined) wire.sideEffects = options.sideEffects
  if (options.idempotencyKey !== undefined) wire.idempotencyKey = options.idempotencyKey
  if (options.replay !== undefined) wire.replay = options.replay
  if (options.checkpointInvariant !== undefined) wire.checkpointInvariant = options.checkpointInvariant
  if (options.verifiedBy !== undefined) wire.verifiedBy = options.verifiedBy
  if (typeof options.retries === "number") wire.retries = options.retries
  if (options.timeout !== undefined) wire.timeoutMs = Duration.toMillis(options.timeout)
  return wire
}
