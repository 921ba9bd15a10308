import type { Gate, RunAggregate, RunEvent } from "@tidebase/domain"
import type { Column, Projection } from "../EventStore/Projection.js"
import { changedRows } from "../EventStore/Projection.js"

const columns: { readonly [K in keyof Gate]: Column } = {
  id: "value",
  runId: "value",
  name: "value",
  prompt: "value",
  data: "json",
  status: "value",
  decision: "value",
  actor: "value",
  decisionPayload: "json",
  capability: "value",
  channels: "json",
  timeoutAt: "value",
  defaultDecision: "value",
  createdAt: "value",
  updatedAt: "value",
  resolvedAt: "value"
}

/** The `gates` read model: one row per gate, written where the fold moved it. */
export const GateProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["gates"],
  writes: ({ after, before }) => changedRows("gates", columns, before.gates, after.gates, (row) => row.name)
}
