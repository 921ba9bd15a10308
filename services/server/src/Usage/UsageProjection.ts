import type { RunAggregate, RunEvent, Usage } from "@tidebase/domain"
import type { Column, Projection, RowWrite } from "../EventStore/Projection.js"
import { rowWrite } from "../EventStore/Projection.js"

type UsageRow = Usage & { readonly seq: number }

const columns: { readonly [K in keyof UsageRow]: Column } = {
  id: "value",
  runId: "value",
  stepId: "value",
  kind: "value",
  provider: "value",
  model: "value",
  label: "value",
  quantity: "value",
  unit: "value",
  inputTokens: "value",
  outputTokens: "value",
  totalTokens: "value",
  costUsd: "value",
  metadata: "json",
  idempotencyKey: "value",
  createdAt: "value",
  seq: "value"
}

/** `usage_records`: the ledger, one row per `usage.recorded` (the run's totals are on its own row). */
export const UsageProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["usage_records"],
  writes: ({ events, expectedVersion }) => {
    const writes: Array<RowWrite> = []
    events.forEach((event, i) => {
      if (event._tag === "usage.recorded") {
        writes.push(...rowWrite("usage_records", columns, undefined, { ...event.usage, seq: expectedVersion + i + 1 }))
      }
    })
    return writes
  }
}
