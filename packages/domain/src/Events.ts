import { Schema } from "effect"
import { Budget, ChannelDelivery, Gate, RecoveryAttempt, RunEdge, StateVersion, Usage } from "./Records.js"
import { ResumeContract, ResumeDecision, StepStatus } from "./ResumeContract.js"

const Json = Schema.Unknown
const Timestamp = Schema.String

export class RunCreated extends Schema.TaggedClass<RunCreated>()("run.created", {
  runId: Schema.String,
  workflowName: Schema.String,
  input: Json,
  metadata: Json,
  recoveryWebhook: Schema.NullOr(Schema.String),
  channels: Json,
  /** Ours: absent from runs created without one. */
  budget: Schema.optionalWith(Schema.NullOr(Budget), { default: () => null }),
  /** When it is cancelled if still going (absent: never). */
  deadlineAt: Schema.optional(Schema.String),
  /** A child run names its parent and the edge that made it (absent on top-level runs). */
  parentRunId: Schema.optional(Schema.String),
  edgeName: Schema.optional(Schema.String),
  at: Timestamp
}) {}

/** On the parent, in the same append as the child's `run.created`. */
export class RunChildCreated extends Schema.TaggedClass<RunChildCreated>()("run.child.created", {
  childRun: Schema.Struct({ id: Schema.String, workflowName: Schema.String }),
  edge: RunEdge,
  at: Timestamp
}) {}

/** `begin` granted a lease. Logs written before v0.6 fidelity call it `run.begun` (see `upcasts`). */
export class RunStarted extends Schema.TaggedClass<RunStarted>()("run.started", {
  leaseOwner: Schema.String,
  leaseExpiresAt: Timestamp,
  attempt: Schema.Number,
  at: Timestamp
}) {}

export class RunCompleted extends Schema.TaggedClass<RunCompleted>()("run.completed", {
  result: Json,
  at: Timestamp
}) {}

export class RunFailed extends Schema.TaggedClass<RunFailed>()("run.failed", {
  error: Json,
  failureClass: Schema.NullOr(Schema.String),
  at: Timestamp
}) {}

/** The run was stopped for good (by a person, or its deadline): nothing resumes it. `run.cancelled` on the wire. */
export class RunCancelledEvent extends Schema.TaggedClass<RunCancelledEvent>()("run.cancelled", {
  reason: Schema.NullOr(Schema.String),
  actor: Schema.NullOr(Schema.String),
  at: Timestamp
}) {}

/**
 * Ours: the events before this one were copied from `sourceRunId`'s log as of its seq `atSeq`
 * (its completed steps, state and decided gates); the run now waits to be invoked, and a
 * re-invoked workflow replays that prefix and executes the rest. The source is never changed.
 */
export class RunForked extends Schema.TaggedClass<RunForked>()("run.forked", {
  sourceRunId: Schema.String,
  atSeq: Schema.Number,
  /** Steps whose output the fork replaced (`step.completed` with `edited`). */
  editedSteps: Schema.Array(Schema.String),
  at: Timestamp
}) {}

/** The lease's holder let the run go (its workflow stopped): the next begin is granted at once. */
export class RunReleased extends Schema.TaggedClass<RunReleased>()("run.released", {
  leaseOwner: Schema.String,
  at: Timestamp
}) {}

export class StepStarted extends Schema.TaggedClass<StepStarted>()("step.started", {
  stepId: Schema.String,
  name: Schema.String,
  inputHash: Schema.String,
  input: Json,
  options: Json,
  resumeContract: ResumeContract,
  leaseOwner: Schema.String,
  leaseExpiresAt: Timestamp,
  attempt: Schema.Number,
  /** The run lease epoch the step was started under; null (and absent from older events) without one. */
  runEpoch: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null }),
  at: Timestamp
}) {}

export class StepCompleted extends Schema.TaggedClass<StepCompleted>()("step.completed", {
  stepId: Schema.String,
  name: Schema.String,
  output: Json,
  /** Ours: in a fork, the output was given by whoever forked it instead of copied from the source. */
  edited: Schema.optional(Schema.Boolean),
  at: Timestamp
}) {}

export class StepFailed extends Schema.TaggedClass<StepFailed>()("step.failed", {
  stepId: Schema.String,
  name: Schema.String,
  /** v0.6: whether the worker said the failure may be retried (absent from events written before it was recorded). */
  retryable: Schema.optional(Schema.Boolean),
  error: Json,
  resumeDecision: ResumeDecision,
  status: StepStatus,
  at: Timestamp
}) {}

/** What a person decided for a step parked in manual_review (or failed_retryable). */
export const StepResolution = Schema.Literal("retry", "complete", "fail")
export type StepResolution = typeof StepResolution.Type

/** A person resolved a step: `retry` lets it run again, `complete` records `output` as its checkpoint, `fail` fails it for good. */
export class StepResolved extends Schema.TaggedClass<StepResolved>()("step.resolved", {
  stepId: Schema.String,
  name: Schema.String,
  action: StepResolution,
  actor: Schema.String,
  reason: Schema.NullOr(Schema.String),
  output: Schema.optional(Json),
  at: Timestamp
}) {}

/** Ours: the run's budget was set, changed or cleared (null). */
export class RunBudgetUpdated extends Schema.TaggedClass<RunBudgetUpdated>()("run.budget.updated", {
  budget: Schema.NullOr(Budget),
  at: Timestamp
}) {}

/**
 * A new version of one of the run's state streams (PUT replaces, PATCH merges: then `patch` is
 * what was merged). `stream` (ours) names the stream, so a fold needs no lookup by id.
 */
export class StateUpdated extends Schema.TaggedClass<StateUpdated>()("state.updated", {
  stream: Schema.String,
  value: Json,
  patch: Schema.optional(Json),
  stateVersion: StateVersion,
  at: Timestamp
}) {}

/** The stream's current value, saved again as a labeled version. */
export class StateSaved extends Schema.TaggedClass<StateSaved>()("state.saved", {
  stream: Schema.String,
  stateVersion: StateVersion,
  at: Timestamp
}) {}

/** A labeled version with a given value, in the stream of its target (`type:id`). */
export class SnapshotCreated extends Schema.TaggedClass<SnapshotCreated>()("snapshot.created", {
  stream: Schema.String,
  stateVersion: StateVersion,
  at: Timestamp
}) {}

export class UsageRecorded extends Schema.TaggedClass<UsageRecorded>()("usage.recorded", {
  usage: Usage,
  at: Timestamp
}) {}

/** A gate was opened: the run waits for a decision. The payload never holds the resolve token. */
export class GateCreated extends Schema.TaggedClass<GateCreated>()("gate.created", {
  gate: Gate,
  at: Timestamp
}) {}

/** A gate was decided, once: `gate` is the gate as resolved (status, decision, actor, payload). */
export class GateResolved extends Schema.TaggedClass<GateResolved>()("gate.resolved", {
  gate: Gate,
  at: Timestamp
}) {}

/** A `run.resume` call to the recovery webhook is owed (the outbox row is written with this event). */
export class RecoveryStarted extends Schema.TaggedClass<RecoveryStarted>()("recovery.started", {
  attempt: RecoveryAttempt,
  at: Timestamp
}) {}

/** The recovery webhook answered 2xx. */
export class RecoveryDelivered extends Schema.TaggedClass<RecoveryDelivered>()("recovery.delivered", {
  recoveryAttemptId: Schema.String,
  httpStatus: Schema.Number,
  responseBody: Schema.NullOr(Schema.String),
  tries: Schema.Number,
  at: Timestamp
}) {}

/** A try failed (non-2xx, network error, timeout): tried again at `nextAttemptAt`, or given up on when it is null. */
export class RecoveryFailed extends Schema.TaggedClass<RecoveryFailed>()("recovery.failed", {
  recoveryAttemptId: Schema.String,
  httpStatus: Schema.NullOr(Schema.Number),
  responseBody: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  tries: Schema.Number,
  nextAttemptAt: Schema.NullOr(Timestamp),
  at: Timestamp
}) {}

/** Ours: an event is owed to a webhook channel (the outbox row is written with this event). */
export class DeliveryQueued extends Schema.TaggedClass<DeliveryQueued>()("delivery.queued", {
  delivery: ChannelDelivery,
  at: Timestamp
}) {}

/** Ours: the channel answered 2xx. */
export class DeliveryDelivered extends Schema.TaggedClass<DeliveryDelivered>()("delivery.delivered", {
  deliveryId: Schema.String,
  httpStatus: Schema.Number,
  responseBody: Schema.NullOr(Schema.String),
  tries: Schema.Number,
  at: Timestamp
}) {}

/** A queue run was written (in the same append as its `run.created`): it waits in `queue` until `runAt`. */
export class RunEnqueued extends Schema.TaggedClass<RunEnqueued>()("run.enqueued", {
  queue: Schema.String,
  runAt: Timestamp,
  dedupeKey: Schema.NullOr(Schema.String),
  priority: Schema.Number,
  maxAttempts: Schema.Number,
  at: Timestamp
}) {}

/** A worker claimed a queued run: it is running, leased to `leaseOwner` (a new lease epoch, like `run.started`). */
export class RunClaimed extends Schema.TaggedClass<RunClaimed>()("run.claimed", {
  leaseOwner: Schema.String,
  queue: Schema.String,
  leaseExpiresAt: Timestamp,
  attempt: Schema.Number,
  /** How many times the run has been claimed, this one included: its try number against `maxAttempts`. */
  claims: Schema.Number,
  at: Timestamp
}) {}

/** A queue run that failed (or whose worker died) with tries left waits again until `nextRunAt`. */
export class RunRequeued extends Schema.TaggedClass<RunRequeued>()("run.requeued", {
  error: Schema.Unknown,
  attempt: Schema.Number,
  maxAttempts: Schema.Number,
  nextRunAt: Timestamp,
  at: Timestamp
}) {}

/** Ours: a try failed; tried again at `nextAttemptAt`, or given up on when it is null. */
export class DeliveryFailed extends Schema.TaggedClass<DeliveryFailed>()("delivery.failed", {
  deliveryId: Schema.String,
  httpStatus: Schema.NullOr(Schema.Number),
  responseBody: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  tries: Schema.Number,
  nextAttemptAt: Schema.NullOr(Timestamp),
  at: Timestamp
}) {}

export const RunEvent = Schema.Union(
  RunCreated,
  RunStarted,
  RunReleased,
  RunCompleted,
  RunFailed,
  RunCancelledEvent,
  RunChildCreated,
  RunForked,
  RunEnqueued,
  RunClaimed,
  RunRequeued,
  StepStarted,
  StepCompleted,
  StepFailed,
  StepResolved,
  RunBudgetUpdated,
  StateUpdated,
  StateSaved,
  SnapshotCreated,
  UsageRecorded,
  GateCreated,
  GateResolved,
  RecoveryStarted,
  RecoveryDelivered,
  RecoveryFailed,
  DeliveryQueued,
  DeliveryDelivered,
  DeliveryFailed
)
export type RunEvent = typeof RunEvent.Type
export type RunEventType = RunEvent["_tag"]

/**
 * Stored types that were renamed: an event keeps the type it was written with, and is read
 * as the current one. Payloads are unchanged by every rename so far.
 */
export const upcasts: Readonly<Record<string, RunEventType>> = { "run.begun": "run.started" }

export const currentType = (type: string): string => upcasts[type] ?? type

/** Events are stored as (type, payload): the tag is the `type` column, the rest is the JSON payload. */
export const storedCodec = <A extends { readonly _tag: string }, I extends { readonly _tag: string }>(schema: Schema.Schema<A, I>) => {
  const encode = Schema.encodeSync(schema)
  const decode = Schema.decodeUnknownSync(schema)
  return {
    toStored: (event: A): { readonly type: A["_tag"]; readonly payload: Record<string, unknown> } => {
      const { _tag, ...payload } = encode(event)
      return { type: _tag as A["_tag"], payload }
    },
    fromStored: (type: string, payload: unknown): A => decode({ ...(payload as object), _tag: type })
  }
}

const runEventCodec = storedCodec(RunEvent)

export const toStored: (event: RunEvent) => { readonly type: RunEventType; readonly payload: Record<string, unknown> } = runEventCodec.toStored

export const fromStored = (type: string, payload: unknown): RunEvent => runEventCodec.fromStored(currentType(type), payload)
