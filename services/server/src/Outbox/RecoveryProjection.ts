import type { RecoveryAttempt, RunAggregate, RunEvent } from "@tidebase/domain"
import type { Column, Projection } from "../EventStore/Projection.js"
import { changedRows } from "../EventStore/Projection.js"

const columns: { readonly [K in keyof RecoveryAttempt]: Column } = {
  id: "value",
  runId: "value",
  url: "value",
  reason: "value",
  body: "value",
  status: "value",
  tries: "value",
  nextAttemptAt: "value",
  httpStatus: "value",
  responseBody: "value",
  error: "value",
  createdAt: "value",
  updatedAt: "value"
}

/** The recovery outbox: one row per `run.resume` call owed, written with the event that owes it. */
export const RecoveryProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["recovery_attempts"],
  writes: ({ after, before }) => changedRows("recovery_attempts", columns, before.recoveries, after.recoveries, (row) => row.id)
}
