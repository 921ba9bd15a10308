import { Schema } from "effect"
import { Budget, ResumeContract, ResumeDecision, StateVersion as DomainStateVersion, StepResolution, StepStatus } from "@tidebase/domain"
import { Gate as DomainGate, QueueConfig as DomainQueueConfig, RecoveryAttempt, RunEdge, ScheduleSpec, Usage } from "@tidebase/domain"
export { Budget, Usage } from "@tidebase/domain"

/** A gate as API answers show it: with its resolve token (the API key is the boundary), unlike events. */
export const Gate = Schema.Struct({ ...DomainGate.fields, resolveToken: Schema.String })
export type Gate = typeof Gate.Type

const Json = Schema.Unknown
const Timestamp = Schema.String

export const RunStatus = Schema.Literal("pending", "queued", "running", "completed", "failed", "cancelled")

export const UsageTotals = Schema.Struct({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  totalTokens: Schema.Number,
  costUsd: Schema.Number
})
export type UsageTotals = typeof UsageTotals.Type

export const Run = Schema.Struct({
  id: Schema.String,
  workflowName: Schema.String,
  input: Json,
  metadata: Json,
  status: RunStatus,
  result: Json,
  error: Json,
  recoveryWebhook: Schema.NullOr(Schema.String),
  leaseOwner: Schema.NullOr(Schema.String),
  leaseExpiresAt: Schema.NullOr(Timestamp),
  attempt: Schema.Number,
  queue: Schema.NullOr(Schema.String),
  dedupeKey: Schema.NullOr(Schema.String),
  priority: Schema.Number,
  runAt: Schema.NullOr(Timestamp),
  maxAttempts: Schema.NullOr(Schema.Number),
  deadlineAt: Schema.NullOr(Timestamp),
  cancelRequestedAt: Schema.NullOr(Timestamp),
  cancelledAt: Schema.NullOr(Timestamp),
  cancelReason: Schema.NullOr(Schema.String),
  cancelActor: Schema.NullOr(Schema.String),
  failureClass: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  completedAt: Schema.NullOr(Timestamp),
  /** Extension: the run's budget, null when it has none. */
  budget: Schema.NullOr(Budget),
  /** Extension: running totals of the run's usage ledger. */
  usageTotals: UsageTotals
})
export type Run = typeof Run.Type

export const Step = Schema.Struct({
  id: Schema.String,
  runId: Schema.String,
  name: Schema.String,
  /** Extension: the step's place in its run (the run's seq at its first start). */
  seq: Schema.Number,
  inputHash: Schema.String,
  input: Json,
  options: Json,
  resumeContract: ResumeContract,
  status: StepStatus,
  output: Json,
  error: Json,
  resumeDecision: Schema.NullOr(ResumeDecision),
  leaseOwner: Schema.NullOr(Schema.String),
  leaseExpiresAt: Schema.NullOr(Timestamp),
  attempt: Schema.Number,
  /** Extension: a person's decision on its last failure (steps/:stepId/resolve), null when none. */
  resolution: Schema.NullOr(StepResolution),
  resolvedBy: Schema.NullOr(Schema.String),
  resolutionReason: Schema.NullOr(Schema.String),
  resolvedAt: Schema.NullOr(Timestamp),
  startedAt: Timestamp,
  completedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Step = typeof Step.Type

export const Event = Schema.Struct({
  id: Schema.String,
  runId: Schema.String,
  seq: Schema.Number,
  position: Schema.Number,
  type: Schema.String,
  payload: Json,
  createdAt: Timestamp
})
export type Event = typeof Event.Type

/** A completed step as resume needs it: enough to replay without a round trip per step. */
export const Checkpoint = Schema.Struct({
  stepId: Schema.String,
  name: Schema.String,
  inputHash: Schema.String,
  output: Json,
  completedAt: Schema.NullOr(Timestamp),
  /** Present only when a person completed the step (resolve `complete`): who gave this output. */
  resolvedBy: Schema.optional(Schema.String)
})
export type Checkpoint = typeof Checkpoint.Type

/** A state stream's current value; `stream` (ours) names the stream. */
export const State = Schema.Struct({
  runId: Schema.String,
  value: Json,
  version: Schema.Number,
  updatedAt: Timestamp,
  stream: Schema.String
})
export type State = typeof State.Type

export const StateStream = Schema.Struct({
  id: Schema.String,
  runId: Schema.String,
  name: Schema.String,
  targetType: Schema.String,
  targetId: Schema.String,
  currentVersion: Schema.Number,
  currentValue: Json,
  metadata: Json,
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type StateStream = typeof StateStream.Type

/** A version of a state stream, with the stream's name (ours) beside its id. */
export const StateVersion = Schema.Struct({ ...DomainStateVersion.fields, stream: Schema.String })
export type StateVersion = typeof StateVersion.Type

export { RecoveryAttempt, RunEdge }

export const RunDetail = Schema.Struct({
  run: Run,
  steps: Schema.Array(Step),
  state: Schema.NullOr(State),
  stateStreams: Schema.Array(StateStream),
  stateVersions: Schema.Array(StateVersion),
  runEdges: Schema.Array(RunEdge),
  childRuns: Schema.Array(Run),
  recoveryAttempts: Schema.Array(Json),
  channels: Schema.Array(Json),
  channelDeliveries: Schema.Array(Json),
  gates: Schema.Array(Gate),
  usage: Schema.Array(Usage),
  events: Schema.Array(Event)
})
export type RunDetail = typeof RunDetail.Type

/**
 * Extension: a run as of one event of its log, folded from the log alone: what `GET /runs/:id`
 * would have shown then (gates without their resolve token; the children it had made, as edges).
 */
export const RunReplay = Schema.Struct({
  seq: Schema.Number,
  /** The run's last seq now, so a reader can step through 1..latest. */
  latestSeq: Schema.Number,
  event: Event,
  run: Run,
  steps: Schema.Array(Step),
  state: Schema.NullOr(State),
  stateStreams: Schema.Array(StateStream),
  stateVersions: Schema.Array(StateVersion),
  gates: Schema.Array(DomainGate),
  usage: Schema.Array(Usage),
  runEdges: Schema.Array(RunEdge)
})
export type RunReplay = typeof RunReplay.Type

export const QueueConfig = Schema.Struct(DomainQueueConfig.fields)
export type QueueConfig = typeof QueueConfig.Type

/** A queue's runs counted by status, with its settings. */
export const QueueSummary = Schema.Struct({
  name: Schema.String,
  queued: Schema.Number,
  running: Schema.Number,
  failed: Schema.Number,
  completed: Schema.Number,
  cancelled: Schema.Number,
  config: QueueConfig
})
export type QueueSummary = typeof QueueSummary.Type

export const ScheduleModel = Schema.Struct({
  ...ScheduleSpec.fields,
  nextRunAt: Schema.NullOr(Schema.String),
  lastEnqueuedAt: Schema.NullOr(Schema.String),
  createdAt: Schema.String,
  updatedAt: Schema.String
})
export type ScheduleModel = typeof ScheduleModel.Type
