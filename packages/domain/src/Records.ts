import { Schema } from "effect"

const Json = Schema.Unknown
const Timestamp = Schema.String

/** How much a state version matters when a person looks back: labeled saves default to `milestone`. */
export const StateImportance = Schema.Literal("transient", "normal", "checkpoint", "milestone")
export type StateImportance = typeof StateImportance.Type

/** One version of a state stream: its full value, and the patch that made it when it was a PATCH. */
export const StateVersion = Schema.Struct({
  id: Schema.String,
  streamId: Schema.String,
  runId: Schema.String,
  stepId: Schema.NullOr(Schema.String),
  version: Schema.Number,
  value: Json,
  patch: Json,
  label: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  importance: StateImportance,
  metadata: Json,
  createdBy: Schema.NullOr(Schema.String),
  createdAt: Timestamp
})
export type StateVersion = typeof StateVersion.Type

/** One usage record of the run's ledger; `idempotencyKey` (ours) makes a retried or replayed record count once. */
export const Usage = Schema.Struct({
  id: Schema.String,
  runId: Schema.String,
  stepId: Schema.NullOr(Schema.String),
  kind: Schema.String,
  provider: Schema.NullOr(Schema.String),
  model: Schema.NullOr(Schema.String),
  label: Schema.NullOr(Schema.String),
  quantity: Schema.NullOr(Schema.Number),
  unit: Schema.NullOr(Schema.String),
  inputTokens: Schema.NullOr(Schema.Number),
  outputTokens: Schema.NullOr(Schema.Number),
  totalTokens: Schema.NullOr(Schema.Number),
  costUsd: Schema.NullOr(Schema.Number),
  metadata: Json,
  idempotencyKey: Schema.NullOr(Schema.String),
  createdAt: Timestamp
})
export type Usage = typeof Usage.Type

/** Ours: a run stops at its next step once its recorded usage goes over either limit. */
export const Budget = Schema.Struct({
  maxCostUsd: Schema.NullOr(Schema.Number),
  maxTotalTokens: Schema.NullOr(Schema.Number)
})
export type Budget = typeof Budget.Type
