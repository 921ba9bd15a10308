import { Either } from "effect"
import { LeaseHeld, LeaseLost, RunCancelled, RunNotFound, WorkflowMismatch } from "./Errors.js"
import { RunStarted, RunCompleted, RunCreated, RunFailed, RunReleased } from "./Events.js"
import type { RunEvent } from "./Events.js"
import { QUEUE_BACKOFF, queueFailure } from "./QueueRetry.js"
import type { Backoff } from "./QueueRetry.js"
import { recoveryFor } from "./Recovery.js"
import type { Budget } from "./Records.js"
import type { RunAggregate, RunState } from "./Run.js"

/** A worker's claim on a lease: the owner, and optionally the epoch (attempt) it was granted at. */
export interface Fence {
  readonly leaseOwner: string
  readonly leaseEpoch?: number | undefined
}

const iso = (ms: number) => new Date(ms).toISOString()
/** A lease that has not expired yet. */
export const isLeaseLive = (expiresAt: string | null, now: number) => expiresAt !== null && Date.parse(expiresAt) > now
/** The fence names the lease's holder (and, when it says, the epoch the lease was granted at). */
export const holdsLease = (fence: Fence, owner: string | null, attempt: number) =>
  fence.leaseOwner === owner && (fence.leaseEpoch === undefined || fence.leaseEpoch === attempt)

export const requireRun = (state: RunAggregate, runId: string): Either.Either<RunState, RunNotFound> =>
  state.run === undefined ? Either.left(new RunNotFound({ runId })) : Either.right(state.run)

/**
 * Old clients send no owner and stay accepted; a named owner must hold the run's lease, if there
 * is one. A v0.6 client may name an owner without ever taking the run lease, so a run with no
 * holder accepts it; but a writer that names the epoch it was granted held a lease that is gone
 * (the run was stopped, failed or released since), so it is refused.
 */
export const checkRunFence = (run: RunState, fence: Fence | undefined): Either.Either<void, LeaseLost> =>
  fence === undefined ||
    (run.leaseOwner === null ? fence.leaseEpoch === undefined : holdsLease(fence, run.leaseOwner, run.attempt))
    ? Either.void
    : Either.left(new LeaseLost({ run }))

export interface CreateRun {
  readonly runId: string
  readonly workflowName: string
  readonly input: unknown
  readonly metadata: unknown
  readonly recoveryWebhook: string | null
  readonly channels: unknown
  readonly budget?: Budget | null | undefined
  /** A run still going this long after it is created is cancelled (reason `deadline`). */
  readonly deadlineMs?: number | null | undefined
  readonly now: number
}

/** Create-or-get: an id that exists already yields no event, so one id never makes two runs. */
export const decideCreate = (state: RunAggregate, cmd: CreateRun): ReadonlyArray<RunEvent> =>
  state.run !== undefined
    ? []
    : [
      new RunCreated({
        runId: cmd.runId,
        workflowName: cmd.workflowName,
        input: cmd.input,
        metadata: cmd.metadata,
        recoveryWebhook: cmd.recoveryWebhook,
        channels: cmd.channels,
        budget: cmd.budget ?? null,
        ...(cmd.deadlineMs === undefined || cmd.deadlineMs === null ? {} : { deadlineAt: iso(cmd.now + cmd.deadlineMs) }),
        at: iso(cmd.now)
      })
    ]

/** The failure class of a run a person failed (step resolve `fail`): final, unlike other failures. */
export const MANUAL_FAIL = "manual_fail"

export interface BeginRun {
  readonly runId: string
  /** The workflow the caller runs, when it names one: a run of another is refused before anything is written. */
  readonly workflowName?: string | undefined
  readonly leaseOwner: string
  readonly leaseMs: number
  readonly now: number
}

export const decideBegin = (state: RunAggregate, cmd: BeginRun) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<ReadonlyArray<RunEvent>, RunCancelled | LeaseHeld | WorkflowMismatch> => {
    if (cmd.workflowName !== undefined && cmd.workflowName !== run.workflowName) {
      return Either.left(new WorkflowMismatch({ run, workflowName: cmd.workflowName }))
    }
    if (run.status === "cancelled") return Either.left(new RunCancelled({ run }))
    // Final runs are handed back as they are: a completed one's result is the answer, a failed-for-good one stays failed.
    if (run.status === "completed" || (run.status === "failed" && run.failureClass === MANUAL_FAIL)) return Either.right([])
    if (run.leaseOwner !== null && run.leaseOwner !== cmd.leaseOwner && isLeaseLive(run.leaseExpiresAt, cmd.now)) {
      return Either.left(new LeaseHeld({ leaseOwner: run.leaseOwner }))
    }
    return Either.right([
      new RunStarted({
        leaseOwner: cmd.leaseOwner,
        leaseExpiresAt: iso(cmd.now + cmd.leaseMs),
        attempt: run.attempt + 1,
        at: iso(cmd.now)
      })
    ])
  })

export interface Heartbeat {
  readonly runId: string
  readonly fence: Fence
  readonly leaseMs: number
  readonly now: number
}

/** A heartbeat renews the lease without an event: the new expiry is the decision. */
export const decideHeartbeat = (state: RunAggregate, cmd: Heartbeat) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<string, RunCancelled | LeaseLost> => {
    if (run.status === "cancelled") return Either.left(new RunCancelled({ run }))
    if (run.status !== "running" || !holdsLease(cmd.fence, run.leaseOwner, run.attempt)) {
      return Either.left(new LeaseLost({ run }))
    }
    return Either.right(iso(cmd.now + cmd.leaseMs))
  })

export interface ReleaseRun {
  readonly runId: string
  readonly fence: Fence
  readonly now: number
}

/**
 * The holder gives its lease back, so a re-run need not wait for it to expire; its running steps
 * are abandoned by the next begin. Releasing a lease one does not hold (any more) changes nothing.
 */
export const decideRelease = (state: RunAggregate, cmd: ReleaseRun) =>
  Either.map(requireRun(state, cmd.runId), (run): ReadonlyArray<RunEvent> =>
    run.status === "running" && holdsLease(cmd.fence, run.leaseOwner, run.attempt)
      ? [new RunReleased({ leaseOwner: cmd.fence.leaseOwner, at: iso(cmd.now) })]
      : [])

export interface CompleteRun {
  readonly runId: string
  readonly result: unknown
  readonly fence: Fence | undefined
  readonly now: number
}

export const decideComplete = (state: RunAggregate, cmd: CompleteRun) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<ReadonlyArray<RunEvent>, LeaseLost> => {
    if (run.status === "completed" || run.status === "cancelled") return Either.right([])
    return Either.map(checkRunFence(run, cmd.fence), () => [new RunCompleted({ result: cmd.result, at: iso(cmd.now) })])
  })

export interface FailRun {
  readonly runId: string
  readonly error: unknown
  readonly failureClass: string | null
  readonly fence: Fence | undefined
  /** The id of the `run.resume` call owed to the run's recovery webhook, if it has one. */
  readonly newRecoveryId: string
  /** How long a queue run with tries left waits before it is claimable again. */
  readonly backoff?: Backoff | undefined
  readonly now: number
}

export const decideFail = (state: RunAggregate, cmd: FailRun) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<ReadonlyArray<RunEvent>, LeaseLost> => {
    if (run.status === "completed" || run.status === "cancelled" || run.status === "failed" || run.status === "queued") return Either.right([])
    return Either.map(checkRunFence(run, cmd.fence), () => {
      // A queue run's try failed: the queue retries it (no webhook) until its tries are used up.
      const failure = run.queue === null
        ? new RunFailed({ error: cmd.error, failureClass: cmd.failureClass, at: iso(cmd.now) })
        : queueFailure(run, cmd.error, cmd.backoff ?? QUEUE_BACKOFF, cmd.now)
      return failure._tag === "run.requeued" ? [failure] : [failure, ...recoveryFor(run, cmd.newRecoveryId, "failed", cmd.now)]
    })
  })
