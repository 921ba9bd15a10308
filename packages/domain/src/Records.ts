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

/** A parent's link to a child run it made: one per (parent, name), the name being the idempotency key. */
export const RunEdge = Schema.Struct({
  id: Schema.String,
  parentRunId: Schema.String,
  childRunId: Schema.String,
  name: Schema.String,
  edgeType: Schema.String,
  metadata: Json,
  createdAt: Timestamp
})
export type RunEdge = typeof RunEdge.Type

/**
 * A `run.resume` call owed to a run's recovery webhook (the outbox row): `pending` until a try is
 * answered 2xx (`delivered`) or the last try fails (`failed`). `body` is the exact text sent and signed.
 */
export const RecoveryAttempt = Schema.Struct({
  id: Schema.String,
  runId: Schema.String,
  url: Schema.String,
  reason: Schema.String,
  body: Schema.String,
  status: Schema.Literal("pending", "delivered", "failed"),
  tries: Schema.Number,
  nextAttemptAt: Schema.NullOr(Timestamp),
  httpStatus: Schema.NullOr(Schema.Number),
  responseBody: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type RecoveryAttempt = typeof RecoveryAttempt.Type

/**
 * An event of the run owed to a webhook channel (the outbox row): the run's own channels get its
 * events, a gate's channels its gate's. `payload` is the event's; the body is composed when sent
 * (a gate's resolve token, never in the log, is added then).
 */
export const ChannelDelivery = Schema.Struct({
  id: Schema.String,
  runId: Schema.String,
  source: Schema.Literal("run", "gate"),
  gateId: Schema.NullOr(Schema.String),
  channelIndex: Schema.Number,
  url: Schema.String,
  eventType: Schema.String,
  payload: Json,
  status: Schema.Literal("pending", "delivered", "failed"),
  tries: Schema.Number,
  nextAttemptAt: Schema.NullOr(Timestamp),
  httpStatus: Schema.NullOr(Schema.Number),
  responseBody: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type ChannelDelivery = typeof ChannelDelivery.Type

/** How a person (or a timeout, or a cancel) decided a gate. */
export const GateDecision = Schema.Literal("approved", "rejected", "canceled")
export type GateDecision = typeof GateDecision.Type

export const GateStatus = Schema.Literal("pending", "approved", "rejected", "canceled")
export type GateStatus = typeof GateStatus.Type

/**
 * An approval gate as events carry it: never its resolve token, which the server derives from a
 * secret of its own and the gate's id, so no log, stream or rebuild ever holds it.
 */
export const Gate = Schema.Struct({
  id: Schema.String,
  runId: Schema.String,
  name: Schema.String,
  prompt: Schema.String,
  data: Json,
  status: GateStatus,
  decision: Schema.NullOr(GateDecision),
  actor: Schema.NullOr(Schema.String),
  decisionPayload: Json,
  capability: Schema.NullOr(Schema.String),
  channels: Json,
  /** Ours: when a pending gate resolves by itself with `defaultDecision` (actor `system:timeout`). */
  timeoutAt: Schema.NullOr(Timestamp),
  defaultDecision: Schema.NullOr(GateDecision),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  resolvedAt: Schema.NullOr(Timestamp)
})
export type Gate = typeof Gate.Type
