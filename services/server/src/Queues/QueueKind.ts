import * as Domain from "@tidebase/domain"
import type { QueueAggregate, QueueEvent } from "@tidebase/domain"
import type { AggregateKind } from "../EventStore/Aggregate.js"
import type { Projection } from "../EventStore/Projection.js"

/** A queue's own stream (category `queue`, keyed by its name): the history of its settings. */
export const QueueKind: AggregateKind<QueueAggregate, QueueEvent> = {
  category: "queue",
  empty: Domain.emptyQueue,
  evolve: Domain.evolveQueue,
  toStored: Domain.queueEventToStored,
  fromStored: Domain.queueEventFromStored,
  occurredAt: (event) => event.at
}

/** The `queues` read model: one row per configured queue. */
export const QueueProjection: Projection<QueueAggregate, QueueEvent> = {
  tables: ["queues"],
  writes: ({ after }) =>
    after.config === undefined ? [] : [{
      _tag: "Upsert",
      table: "queues",
      key: "name",
      row: {
        name: after.config.name,
        concurrency: after.config.concurrency,
        ratePerMinute: after.config.ratePerMinute,
        invokeUrl: after.config.invokeUrl,
        createdAt: after.createdAt,
        updatedAt: after.updatedAt
      }
    }]
}
