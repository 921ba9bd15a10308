import type { ChannelDelivery, RunAggregate, RunEvent } from "@tidebase/domain"
import type { Column, Projection } from "../EventStore/Projection.js"
import { changedRows } from "../EventStore/Projection.js"

const columns: { readonly [K in keyof ChannelDelivery]: Column } = {
  id: "value",
  runId: "value",
  source: "value",
  gateId: "value",
  channelIndex: "value",
  url: "value",
  eventType: "value",
  payload: "json",
  status: "value",
  tries: "value",
  nextAttemptAt: "value",
  httpStatus: "value",
  responseBody: "value",
  error: "value",
  createdAt: "value",
  updatedAt: "value"
}

/** The channel outbox: one row per event owed to a channel, written with the event that owes it. */
export const DeliveryProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["channel_deliveries"],
  writes: ({ after, before }) => changedRows("channel_deliveries", columns, before.deliveries, after.deliveries, (row) => row.id)
}
