import type { ChannelDelivery, RunAggregate, RunEvent } from "@tidebase/domain"
import type { Column, Projection, RowWrite } from "../EventStore/Projection.js"
import { rowWrite } from "../EventStore/Projection.js"

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
  writes: ({ after, before }) => {
    const writes: Array<RowWrite> = []
    for (const delivery of after.deliveries.values()) {
      const previous = before.deliveries.get(delivery.id)
      if (previous !== delivery) writes.push(...rowWrite("channel_deliveries", columns, previous, delivery))
    }
    return writes
  }
}
