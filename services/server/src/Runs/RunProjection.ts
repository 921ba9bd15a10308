import type { RunAggregate, RunEvent, RunState } from "@tidebase/domain"
import type { Column, Projection } from "../EventStore/Projection.js"
import { rowWrite } from "../EventStore/Projection.js"

const columns: { readonly [K in keyof RunState]: Column } = {
  id: "value",
  workflowName: "value",
  input: "json",
  metadata: "json",
  recoveryWebhook: "value",
  channels: "json",
  status: "value",
  result: "json",
  error: "json",
  failureClass: "value",
  leaseOwner: "value",
  leaseExpiresAt: "value",
  attempt: "value",
  budget: "json",
  inputTokens: "value",
  outputTokens: "value",
  totalTokens: "value",
  costUsd: "value",
  createdAt: "value",
  updatedAt: "value",
  completedAt: "value",
  cancelledAt: "value",
  cancelReason: "value",
  cancelActor: "value",
  deadlineAt: "value",
  queue: "value",
  dedupeKey: "value",
  priority: "value",
  runAt: "value",
  maxAttempts: "value",
  claims: "value",
  claimedAt: "value"
}

/** The `runs` read model: one row per run, written only where the fold changed it. */
export const RunProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["runs"],
  writes: ({ after, before }) => after.run === undefined ? [] : rowWrite("runs", columns, before.run, after.run)
}
