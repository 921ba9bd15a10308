import { Either } from "effect"
import { requireRun } from "./Decide.js"
import { DeliveryNotFound } from "./Errors.js"
import { DeliveryDelivered, DeliveryFailed, DeliveryQueued, toStored } from "./Events.js"
import type { RunEvent } from "./Events.js"
import { tryOutcome } from "./Recovery.js"
import type { RecordRecoveryTry } from "./Recovery.js"
import type { ChannelDelivery } from "./Records.js"
import type { RunAggregate } from "./Run.js"

/** A webhook channel as given on a run or a gate: `{url, events?, secret?}`; anything else there is not ours to call. */
interface WebhookChannel {
  readonly index: number
  readonly url: string
  /** The event types it wants; null: all of them. */
  readonly events: ReadonlySet<string> | null
}

/** An absolute http(s) URL: where the server may post a webhook. */
export const isHttpUrl = (value: string) => {
  try {
    const url = new URL(value)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

export const webhookChannels = (channels: unknown): ReadonlyArray<WebhookChannel> => {
  if (!Array.isArray(channels)) return []
  const out: Array<WebhookChannel> = []
  channels.forEach((channel: unknown, index) => {
    if (channel === null || typeof channel !== "object") return
    const { events, url } = channel as { readonly url?: unknown; readonly events?: unknown }
    if (typeof url !== "string" || !isHttpUrl(url)) return
    const wanted = Array.isArray(events) ? new Set(events.filter((e): e is string => typeof e === "string")) : null
    out.push({ index, url, events: wanted })
  })
  return out
}

/** Deliveries never beget deliveries. */
const isDeliveryEvent = (event: RunEvent) =>
  event._tag === "delivery.queued" || event._tag === "delivery.delivered" || event._tag === "delivery.failed"

/**
 * The deliveries `events` owe, appended with them: each to every channel of the run (its own
 * events) and of the event's gate (gate events) whose `events` list names its type, or that has none.
 */
export const deliveriesFor = (
  before: RunAggregate,
  events: ReadonlyArray<RunEvent>,
  newId: () => string,
  now: number
): ReadonlyArray<RunEvent> => {
  const out: Array<RunEvent> = []
  const at = new Date(now).toISOString()
  let runChannels: ReadonlyArray<WebhookChannel> | undefined
  for (const event of events) {
    if (isDeliveryEvent(event)) continue
    runChannels ??= webhookChannels(event._tag === "run.created" ? event.channels : before.run?.channels)
    const runId = event._tag === "run.created" ? event.runId : before.run?.id
    if (runId === undefined) continue
    const gate = event._tag === "gate.created" || event._tag === "gate.resolved" ? event.gate : undefined
    const targets = [
      ...runChannels.map((channel) => ({ channel, source: "run" as const })),
      ...(gate === undefined ? [] : webhookChannels(gate.channels).map((channel) => ({ channel, source: "gate" as const })))
    ]
    for (const { channel, source } of targets) {
      if (channel.events !== null && !channel.events.has(event._tag)) continue
      const delivery: ChannelDelivery = {
        id: newId(),
        runId,
        source,
        gateId: gate?.id ?? null,
        channelIndex: channel.index,
        url: channel.url,
        eventType: event._tag,
        payload: toStored(event).payload,
        status: "pending",
        tries: 0,
        nextAttemptAt: at,
        httpStatus: null,
        responseBody: null,
        error: null,
        createdAt: at,
        updatedAt: at
      }
      out.push(new DeliveryQueued({ delivery, at }))
    }
  }
  return out
}

export interface RecordDeliveryTry extends Omit<RecordRecoveryTry, "recoveryAttemptId"> {
  readonly deliveryId: string
}

/** Records one try of a channel delivery; nothing on one already delivered or given up on. */
export const decideDeliveryTry = (state: RunAggregate, cmd: RecordDeliveryTry) =>
  Either.flatMap(requireRun(state, cmd.runId), (): Either.Either<ReadonlyArray<RunEvent>, DeliveryNotFound> => {
    const delivery = state.deliveries.get(cmd.deliveryId)
    if (delivery === undefined) return Either.left(new DeliveryNotFound({ runId: cmd.runId, deliveryId: cmd.deliveryId }))
    if (delivery.status !== "pending") return Either.right([])
    const outcome = tryOutcome(cmd, delivery.tries)
    return Either.right([
      outcome.delivered
        ? new DeliveryDelivered({ deliveryId: delivery.id, ...outcome.fields })
        : new DeliveryFailed({ deliveryId: delivery.id, ...outcome.fields })
    ])
  })
