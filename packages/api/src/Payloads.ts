import { Either, Schema } from "effect"
import { isStorableText, UNSTORABLE_TEXT } from "./Limits.js"
import { GateDecision, GateStatus, ID_PATTERN, isHttpUrl, isTimezone, parseCron, ResumeDecision, StateImportance, StepResolution } from "@tidebase/domain"

export const Id = Schema.String.pipe(
  Schema.pattern(ID_PATTERN, { message: () => "must be 1-200 characters of letters, digits, _ . : -" })
)
/** Text that Postgres can store: path parameters, headers and query strings bypass the body check. */
const Text = Schema.String.pipe(Schema.filter(isStorableText, { message: () => UNSTORABLE_TEXT }))
const Name = Text.pipe(Schema.minLength(1), Schema.maxLength(200))
const LeaseMs = Schema.Int.pipe(Schema.between(100, 24 * 60 * 60 * 1000))
/** Extension: the run/step attempt a worker was granted, checked on its writes as a fencing epoch. */
const LeaseEpoch = Schema.optional(Schema.Int)

/** v0.6 clients may POST these with no body at all: an empty body decodes as `{}`. */
const orEmptyBody = <F extends Schema.Struct.Fields>(struct: Schema.Struct<F>) =>
  Schema.Union(
    struct,
    Schema.transform(Schema.Null, Schema.typeSchema(struct), { strict: false, decode: () => ({}), encode: () => null })
  )

export const RunPath = Schema.Struct({ runId: Id })
export const StepPath = Schema.Struct({ runId: Id, stepId: Id })
export const WorkflowPath = Schema.Struct({ workflowName: Name })

/** Where the server posts `run.resume`: an absolute http(s) URL. */
const WebhookUrl = Text.pipe(Schema.maxLength(2_000), Schema.filter(isHttpUrl, { message: () => "must be an absolute http(s) URL" }))

const NonNegative = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())
const Count = Schema.Int.pipe(Schema.nonNegative())

/** Extension: limits on a run's recorded usage; an absent or null limit is no limit. */
export const BudgetPayload = Schema.Struct({
  maxCostUsd: Schema.optional(Schema.NullOr(NonNegative)),
  maxTotalTokens: Schema.optional(Schema.NullOr(Count))
})

/**
 * What every way of making a run takes (create, child, enqueue). `runId` is ours: made by the
 * server when absent; an id that exists already answers that run (a child's must be the edge's).
 */
const NewRunFields = {
  runId: Schema.optional(Id),
  input: Schema.optional(Schema.Unknown),
  metadata: Schema.optional(Schema.Unknown),
  recoveryWebhook: Schema.optional(Schema.NullOr(WebhookUrl)),
  channels: Schema.optional(Schema.Unknown),
}

/** A run still going this long after it is created is cancelled with reason `deadline`. */
const DeadlineMs = Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 366 * 24 * 60 * 60 * 1000))))

export const CreateRunPayload = orEmptyBody(Schema.Struct({
  ...NewRunFields,
  budget: Schema.optional(Schema.NullOr(BudgetPayload)),
  deadlineMs: DeadlineMs
}))

export const CreateChildPayload = Schema.Struct({
  name: Name,
  workflowName: Name,
  ...NewRunFields,
  edgeType: Schema.optional(Schema.NullOr(Name)),
  edgeMetadata: Schema.optional(Schema.Unknown)
})

/** Extension: `PATCH /runs/:runId`; only the budget can change (null clears it). */
export const UpdateRunPayload = Schema.Struct({
  budget: Schema.NullOr(BudgetPayload)
})

/** Extension: what `begin` creates the run with when it does not exist yet (as `POST /runs/:workflowName` would). */
const CreateOnBegin = Schema.Struct({
  input: Schema.optional(Schema.Unknown),
  metadata: Schema.optional(Schema.Unknown),
  recoveryWebhook: Schema.optional(Schema.NullOr(WebhookUrl)),
  channels: Schema.optional(Schema.Unknown),
  budget: Schema.optional(Schema.NullOr(BudgetPayload)),
  deadlineMs: DeadlineMs
})

export const BeginRunPayload = orEmptyBody(Schema.Struct({
  leaseMs: Schema.optional(LeaseMs),
  /** Extension: the workflow the caller runs; a run of another is refused (409 workflow_mismatch), nothing written. */
  workflowName: Schema.optional(Name),
  /**
   * Extension: with `workflowName`, a run that does not exist is created with these and begun in
   * one append (one request instead of begin, create, begin); an existing run is begun as it is.
   */
  create: Schema.optional(CreateOnBegin)
}))
export const WorkerHeaders = Schema.Struct({ "x-tidebase-worker": Schema.optional(Name) })

export const HeartbeatPayload = Schema.Struct({
  leaseOwner: Name,
  leaseEpoch: LeaseEpoch,
  leaseMs: Schema.optional(LeaseMs)
})

/** Extension: the lease's holder lets the run go, so the next begin is granted at once. */
export const ReleaseRunPayload = Schema.Struct({
  leaseOwner: Name,
  leaseEpoch: LeaseEpoch
})

export const CompleteRunPayload = orEmptyBody(Schema.Struct({
  result: Schema.optional(Schema.Unknown),
  leaseOwner: Schema.optional(Name),
  leaseEpoch: LeaseEpoch
}))

export const FailRunPayload = orEmptyBody(Schema.Struct({
  error: Schema.optional(Schema.Unknown),
  failureClass: Schema.optional(Schema.NullOr(Schema.String)),
  leaseOwner: Schema.optional(Name),
  leaseEpoch: LeaseEpoch
}))

export const RecoverRunPayload = orEmptyBody(Schema.Struct({
  reason: Schema.optional(Schema.NullOr(Text.pipe(Schema.maxLength(1_000))))
}))

export const CancelRunPayload = orEmptyBody(Schema.Struct({
  reason: Schema.optional(Schema.NullOr(Text.pipe(Schema.maxLength(10_000)))),
  actor: Schema.optional(Schema.NullOr(Name))
}))

export const BeginStepPayload = Schema.Struct({
  name: Name,
  inputHash: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
  input: Schema.optional(Schema.Unknown),
  options: Schema.optional(Schema.Unknown),
  leaseOwner: Schema.optional(Name),
  leaseEpoch: LeaseEpoch,
  leaseMs: Schema.optional(LeaseMs)
})

/** Extension: a step that already ran, recorded in one request (started + completed), fenced by the run lease. */
export const CheckpointStepPayload = Schema.Struct({
  name: Name,
  inputHash: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
  input: Schema.optional(Schema.Unknown),
  options: Schema.optional(Schema.Unknown),
  output: Schema.optional(Schema.Unknown),
  leaseOwner: Name,
  leaseEpoch: LeaseEpoch,
  /** Extension: how long the step ran before this request, so its `step.started` says when it began. */
  durationMs: Schema.optional(Schema.Int.pipe(Schema.between(0, 24 * 60 * 60 * 1000)))
})

export const CompleteStepPayload = Schema.Struct({
  leaseOwner: Name,
  leaseEpoch: LeaseEpoch,
  output: Schema.optional(Schema.Unknown)
})

export const FailStepPayload = Schema.Struct({
  leaseOwner: Name,
  leaseEpoch: LeaseEpoch,
  error: Schema.optional(Schema.Unknown),
  retryable: Schema.optional(Schema.Boolean),
  resumeDecision: Schema.optional(ResumeDecision)
})

/** Extension: a person's decision on a step parked in manual_review or failed_retryable; no lease needed. */
export const ResolveStepPayload = Schema.Struct({
  action: StepResolution,
  /** The checkpoint `complete` records (null when omitted); ignored by `retry` and `fail`. */
  output: Schema.optional(Schema.Unknown),
  actor: Name,
  reason: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(10_000))))
})

/** `createdAt|id` of the last row of the previous page: the `next` a list answered. */
const PageCursor = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\|[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/, {
    message: () => "must be the `next` of a previous page"
  }),
  Schema.filter((cursor) => !Number.isNaN(Date.parse(cursor.slice(0, 24))), { message: () => "must be the `next` of a previous page" })
)

const Instant = Schema.String.pipe(
  Schema.filter((text) => !Number.isNaN(Date.parse(text)), { message: () => "must be an ISO-8601 date-time" })
)

/** A JSON object in a query string: runs whose metadata holds every one of its fields. */
const MetadataFilter = Schema.String.pipe(
  Schema.maxLength(2_000),
  Schema.filter((text) => {
    try {
      const value: unknown = JSON.parse(text)
      return typeof value === "object" && value !== null && !Array.isArray(value) && isStorableText(text)
    } catch {
      return false
    }
  }, { message: () => "must be a JSON object, e.g. {\"customer\":\"acme\"}" })
)

/** Newest first; the filters are ours, as are `cursor` (the `next` of the previous page) and `next`. */
export const ListRunsParams = Schema.Struct({
  status: Schema.optional(Text),
  workflowName: Schema.optional(Text),
  queue: Schema.optional(Text),
  createdAfter: Schema.optional(Instant),
  createdBefore: Schema.optional(Instant),
  metadata: Schema.optional(MetadataFilter),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500))),
  cursor: Schema.optional(PageCursor)
})

const PageLimit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))
const After = Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())

/** EventSource sends the last `id:` it saw when it reconnects: the same cursor as `after`. */
export const EventsHeaders = Schema.Struct({ "last-event-id": Schema.optional(After) })

export const EventsParams = Schema.Struct({
  after: Schema.optional(After),
  /** Extension: at most this many events (JSON form only); omitted, the whole log after `after`. */
  limit: Schema.optional(PageLimit),
  /** Extension: only events of these types, comma-separated (`types=run.cancelled,gate.resolved`). */
  types: Schema.optional(Schema.String.pipe(Schema.maxLength(1_000))),
  token: Schema.optional(Schema.String)
})

/** Extension: the run as of its event `seq` (omitted: its latest). */
export const ReplayParams = Schema.Struct({
  seq: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.positive()))
})

/**
 * Extension: a new run whose history is the source's up to `atSeq` or the last completion of
 * `afterStep` (neither: all of it), with `stepOutputs` replacing the outputs of named steps.
 */
export const ForkPayload = orEmptyBody(Schema.Struct({
  atSeq: Schema.optional(Schema.Int.pipe(Schema.positive())),
  afterStep: Schema.optional(Name),
  runId: Schema.optional(Id),
  input: Schema.optional(Schema.Unknown),
  workflowName: Schema.optional(Name),
  stepOutputs: Schema.optional(Schema.Record({ key: Name, value: Schema.Unknown }))
}))

/** Extension: every run's events in position order, after `after` (a position), of `types` only when given. */
export const FeedParams = Schema.Struct({
  after: Schema.optional(After),
  types: Schema.optional(Schema.String.pipe(Schema.maxLength(1_000))),
  limit: Schema.optional(PageLimit),
  token: Schema.optional(Schema.String)
})

/** Extension: a page of a run's steps in start order; `after` is the `seq` of the last step of the previous page. */
export const StepsPageParams = Schema.Struct({
  after: Schema.optional(After),
  limit: Schema.optional(PageLimit)
})

const Reason = Schema.NullOr(Schema.String.pipe(Schema.maxLength(10_000)))
const Label = Name

/** What every state write may say about the version it makes, and the worker lease that fences it. */
const VersionFields = {
  reason: Schema.optional(Reason),
  importance: Schema.optional(StateImportance),
  metadata: Schema.optional(Schema.Unknown),
  createdBy: Schema.optional(Schema.NullOr(Name)),
  /** Extension: the step the write was made in. */
  stepId: Schema.optional(Schema.NullOr(Id)),
  /** Extension: a worker's run lease; a fenced-out holder is refused (409 lease_lost). */
  leaseOwner: Schema.optional(Name),
  leaseEpoch: LeaseEpoch
}

/** `Schema.Unknown` also accepts a missing key; a state write without its value is a client's mistake, named. */
const valueRequired = (key: string) => <A extends object, I, R>(self: Schema.Schema<A, I, R>) =>
  self.pipe(Schema.filter((payload: A) => (payload as Record<string, unknown>)[key] !== undefined || { path: [key], message: "is missing" }))

/** `PUT /runs/:runId/state`: the value replaces the stream's current one. */
export const PutStatePayload = Schema.Struct({
  value: Schema.Unknown,
  stream: Schema.optional(Name),
  label: Schema.optional(Schema.NullOr(Label)),
  ...VersionFields
}).pipe(valueRequired("value"))

/** `PATCH /runs/:runId/state`: the value is an object merged shallowly into the current one. */
export const PatchStatePayload = Schema.Struct({
  value: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  stream: Schema.optional(Name),
  label: Schema.optional(Schema.NullOr(Label)),
  ...VersionFields
})

export const SaveStatePayload = Schema.Struct({
  label: Label,
  stream: Schema.optional(Name),
  ...VersionFields
})

/** A snapshot's target names its stream `type:id`; the type cannot hold the `:` that separates them. */
export const SnapshotTarget = Schema.Struct({
  type: Name.pipe(Schema.pattern(/^[^:]+$/, { message: () => "must not contain ':'" })),
  id: Name
})

export const CreateSnapshotPayload = Schema.Struct({
  label: Label,
  state: Schema.Unknown,
  target: Schema.optional(SnapshotTarget),
  ...VersionFields
}).pipe(valueRequired("state"))

/** Extension: `GET /runs/:runId/state` reads one stream's current value (the run's own by default), null when it has none. */
export const StateParams = Schema.Struct({
  stream: Schema.optional(Name)
})

export const StateVersionsParams = Schema.Struct({
  stream: Schema.optional(Name),
  labeled: Schema.optional(Schema.BooleanFromString)
})

const Optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** Usage fields of v0.6 (`kind` defaults to `custom`); counts and cost cannot be negative. */
export const RecordUsagePayload = Schema.Struct({
  kind: Schema.optional(Name),
  provider: Optional(Text.pipe(Schema.maxLength(200))),
  model: Optional(Text.pipe(Schema.maxLength(200))),
  label: Optional(Text.pipe(Schema.maxLength(200))),
  quantity: Optional(NonNegative),
  unit: Optional(Text.pipe(Schema.maxLength(200))),
  inputTokens: Optional(Count),
  outputTokens: Optional(Count),
  totalTokens: Optional(Count),
  costUsd: Optional(NonNegative),
  metadata: Schema.optional(Schema.Unknown),
  stepId: Optional(Id),
  /** Extension: a record whose key the run has seen is answered with the first and counted once. */
  idempotencyKey: Schema.optional(Name)
})

export const GatePath = Schema.Struct({ runId: Id, gateId: Id })

export const BeginGatePayload = Schema.Struct({
  name: Name,
  prompt: Schema.String.pipe(Schema.maxLength(10_000)),
  data: Schema.optional(Schema.Unknown),
  channels: Schema.optional(Schema.Unknown),
  capability: Schema.optional(Schema.NullOr(Name)),
  /** Ours: a pending gate this old resolves with `defaultDecision` (default `rejected`), actor `system:timeout`. */
  timeoutMs: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 366 * 24 * 60 * 60 * 1000)))),
  defaultDecision: Schema.optional(Schema.NullOr(GateDecision)),
  leaseOwner: Schema.optional(Name),
  leaseEpoch: LeaseEpoch
})

export const ResolveGatePayload = Schema.Struct({
  token: Schema.String.pipe(Schema.maxLength(1000)),
  decision: GateDecision,
  actor: Schema.optional(Schema.NullOr(Name)),
  payload: Schema.optional(Schema.Unknown)
})

/** Extension: gates across runs, newest first; `cursor` is the `next` of the previous page. */
export const GatesParams = Schema.Struct({
  status: Schema.optional(GateStatus),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500))),
  cursor: Schema.optional(PageCursor)
})

export const QueuePath = Schema.Struct({ queue: Name })

const Millis = Schema.Int.pipe(Schema.between(0, 366 * 24 * 60 * 60 * 1000))

export const EnqueuePayload = Schema.Struct({
  workflowName: Name,
  ...NewRunFields,
  dedupeKey: Schema.optional(Schema.NullOr(Name)),
  delayMs: Schema.optional(Schema.NullOr(Millis)),
  runAt: Schema.optional(Schema.NullOr(Schema.DateFromString.pipe(Schema.filter((d) => !Number.isNaN(d.getTime()), {
    message: () => "must be an ISO-8601 timestamp"
  })))),
  maxAttempts: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 1_000)))),
  priority: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(-1_000_000, 1_000_000)))),
  deadlineMs: DeadlineMs
})

export const ClaimPayload = Schema.Struct({
  queues: Schema.Array(Name).pipe(Schema.minItems(1), Schema.maxItems(100)),
  leaseOwner: Schema.optional(Name),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 100))),
  /** Ours: with nothing ready, wait up to this long for a run to become ready (long poll). */
  waitMs: Schema.optional(Schema.Int.pipe(Schema.between(0, 60_000))),
  leaseMs: Schema.optional(LeaseMs)
})

export const QueueConfigPayload = Schema.Struct({
  concurrency: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 100_000)))),
  ratePerMinute: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 1_000_000)))),
  invokeUrl: Schema.optional(Schema.NullOr(WebhookUrl))
})

export const SchedulePath = Schema.Struct({ name: Name })

const Timezone = Text.pipe(Schema.maxLength(100), Schema.filter(isTimezone, { message: () => "must be an IANA time zone such as Europe/Paris" }))

export const SetSchedulePayload = Schema.Struct({
  /** 5 fields (minute hour day month weekday), or 6 with a leading seconds field (ours). */
  cron: Text.pipe(Schema.maxLength(200)),
  workflowName: Name,
  input: Schema.optional(Schema.Unknown),
  queue: Schema.optional(Schema.NullOr(Name)),
  maxAttempts: Schema.optional(Schema.NullOr(Schema.Int.pipe(Schema.between(1, 1_000)))),
  enabled: Schema.optional(Schema.Boolean),
  /** Ours: the zone the cron fields are read in (default UTC). */
  timezone: Schema.optional(Schema.NullOr(Timezone))
}).pipe(
  // Checked against the zone it names: the error names `cron`.
  Schema.filter((p) => {
    const parsed = parseCron(p.cron, p.timezone ?? undefined)
    return Either.isRight(parsed) || { path: ["cron"], message: `invalid cron expression: ${parsed.left}` }
  })
)
