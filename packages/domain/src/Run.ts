import type { StepResolution } from "./Events.js"
import type { Budget, ChannelDelivery, Gate, RecoveryAttempt, RunEdge, Usage } from "./Records.js"
import type { ResumeContract, ResumeDecision, StepStatus } from "./ResumeContract.js"

export type RunStatus = "pending" | "queued" | "running" | "completed" | "failed" | "cancelled"

export interface RunState {
  readonly id: string
  readonly workflowName: string
  readonly input: unknown
  readonly metadata: unknown
  readonly recoveryWebhook: string | null
  readonly channels: unknown
  readonly status: RunStatus
  readonly result: unknown
  readonly error: unknown
  readonly failureClass: string | null
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: string | null
  /** Bumped by every begin; doubles as the run lease's fencing epoch. */
  readonly attempt: number
  readonly budget: Budget | null
  /** Running totals of the usage ledger, so a run's cost is read without a scan. */
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly costUsd: number
  readonly createdAt: string
  readonly updatedAt: string
  readonly completedAt: string | null
  readonly cancelledAt: string | null
  readonly cancelReason: string | null
  readonly cancelActor: string | null
  /** Past it, a run not yet over is cancelled with reason `deadline`. */
  readonly deadlineAt: string | null
  /** A queue run's queue; null for runs created directly. */
  readonly queue: string | null
  readonly dedupeKey: string | null
  readonly priority: number
  /** When a queued run may be claimed. */
  readonly runAt: string | null
  readonly maxAttempts: number | null
  /** How many times workers claimed it: a queue run's try count. */
  readonly claims: number
  readonly claimedAt: string | null
}

/** The head of one of a run's state streams: its latest version and value. */
export interface StateStreamState {
  readonly id: string
  readonly runId: string
  readonly name: string
  readonly targetType: string
  readonly targetId: string
  readonly currentVersion: number
  readonly currentValue: unknown
  readonly metadata: unknown
  readonly createdAt: string
  readonly updatedAt: string
}

export interface StepState {
  readonly id: string
  readonly runId: string
  readonly name: string
  /** The run stream's seq when the step was first started: its place in the run, and a page cursor. */
  readonly seq: number
  readonly inputHash: string
  readonly input: unknown
  readonly options: unknown
  readonly resumeContract: ResumeContract
  readonly status: StepStatus
  readonly output: unknown
  readonly error: unknown
  readonly resumeDecision: ResumeDecision | null
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: string | null
  /** Bumped by every grant of the step lease; doubles as its fencing epoch. */
  readonly attempt: number
  /** The run lease epoch it was last started under; null when its client took no run lease. */
  readonly runEpoch: number | null
  /** A person's decision on its last failure (`step.resolved`), kept while it runs again; cleared by a new failure. */
  readonly resolution: StepResolution | null
  readonly resolvedBy: string | null
  readonly resolutionReason: string | null
  readonly resolvedAt: string | null
  readonly startedAt: string
  readonly completedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/**
 * A run stream folded so far. Commands load only the steps they touch, so `steps`
 * may be partial; `version` is the stream's last seq either way.
 */
export interface RunAggregate {
  readonly version: number
  readonly run: RunState | undefined
  readonly steps: ReadonlyMap<string, StepState>
  /** State stream heads by name (only those a command loaded, or all in a full fold). */
  readonly stateStreams: ReadonlyMap<string, StateStreamState>
  /** Usage records that carry an idempotency key, by key (loaded like steps: only the one a command names). */
  readonly usage: ReadonlyMap<string, Usage>
  /** Gates by name (only the one a command loaded, or all in a full fold). */
  readonly gates: ReadonlyMap<string, Gate>
  /** Edges to the child runs this run made, by name (only the one a command loaded, or all in a full fold). */
  readonly edges: ReadonlyMap<string, RunEdge>
  /** Recovery webhook calls by id (only the one a command loaded, or all in a full fold). */
  readonly recoveries: ReadonlyMap<string, RecoveryAttempt>
  /** Channel deliveries by id (only the one a command loaded, or all in a full fold). */
  readonly deliveries: ReadonlyMap<string, ChannelDelivery>
}

export const emptyAggregate: RunAggregate = {
  version: 0,
  run: undefined,
  steps: new Map(),
  stateStreams: new Map(),
  usage: new Map(),
  gates: new Map(),
  edges: new Map(),
  recoveries: new Map(),
  deliveries: new Map()
}

/** The version an aggregate with only these pieces loaded decides on. */
export const aggregateOf = (
  version: number,
  run: RunState | undefined,
  pieces: Partial<Pick<RunAggregate, "steps" | "stateStreams" | "usage" | "gates" | "edges" | "recoveries" | "deliveries">> = {}
): RunAggregate => ({
  version,
  run,
  steps: pieces.steps ?? new Map(),
  stateStreams: pieces.stateStreams ?? new Map(),
  usage: pieces.usage ?? new Map(),
  gates: pieces.gates ?? new Map(),
  edges: pieces.edges ?? new Map(),
  recoveries: pieces.recoveries ?? new Map(),
  deliveries: pieces.deliveries ?? new Map()
})

/** A heartbeat's renewal of a run lease: kept beside the log (`run_heartbeats`), never an event. */
export interface LeaseRenewal {
  readonly attempt: number
  readonly leaseExpiresAt: string
}

/** The run with its lease as renewed: a renewal counts for the lease epoch it was made under, while the lease is held. */
export const withLeaseRenewal = (run: RunState, renewal: LeaseRenewal | undefined): RunState =>
  renewal === undefined || renewal.attempt !== run.attempt || run.leaseOwner === null ||
    (run.leaseExpiresAt !== null && Date.parse(run.leaseExpiresAt) >= Date.parse(renewal.leaseExpiresAt))
    ? run
    : { ...run, leaseExpiresAt: renewal.leaseExpiresAt }

export const isFinal = (status: RunStatus) => status === "completed" || status === "cancelled"
