import { Either } from "effect"
import { LeaseHeld, LeaseLost, RunAlreadyCompleted, RunCancelled, RunNotFound, StepNotFound, WorkflowMismatch } from "./Errors.js"
import { RunStarted, RunCompleted, RunCreated, RunFailed, RunReleased, StepCompleted, StepFailed, StepStarted } from "./Events.js"
import type { RunEvent } from "./Events.js"
import { QUEUE_BACKOFF, queueFailure } from "./QueueRetry.js"
import type { Backoff } from "./QueueRetry.js"
import { recoveryFor } from "./Recovery.js"
import { budgetStop, isOverBudget } from "./RecordUsage.js"
import { finalFailureDecision, normaliseResumeContract, statusForDecision } from "./ResumeContract.js"
import type { Budget } from "./Records.js"
import type { ResumeDecision } from "./ResumeContract.js"
import type { RunAggregate, RunState, StepState } from "./Run.js"

/** A worker's claim on a lease: the owner, and optionally the epoch (attempt) it was granted at. */
export interface Fence {
  readonly leaseOwner: string
  readonly leaseEpoch?: number | undefined
}

const iso = (ms: number) => new Date(ms).toISOString()
const isLive = (expiresAt: string | null, now: number) => expiresAt !== null && Date.parse(expiresAt) > now
const holds = (fence: Fence, owner: string | null, attempt: number) =>
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
    (run.leaseOwner === null ? fence.leaseEpoch === undefined : holds(fence, run.leaseOwner, run.attempt))
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
    if (run.leaseOwner !== null && run.leaseOwner !== cmd.leaseOwner && isLive(run.leaseExpiresAt, cmd.now)) {
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
    if (run.status !== "running" || !holds(cmd.fence, run.leaseOwner, run.attempt)) {
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
    run.status === "running" && holds(cmd.fence, run.leaseOwner, run.attempt)
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

export interface BeginStep {
  readonly runId: string
  readonly name: string
  readonly inputHash: string
  readonly input: unknown
  readonly options: unknown
  /** The run lease the caller claims to hold, when it names one. */
  readonly fence: Fence | undefined
  /** Used for the step lease when the caller names no owner. */
  readonly generatedOwner: string
  readonly newStepId: string
  readonly leaseMs: number
  readonly now: number
}

export type StepBeginOutcome =
  | { readonly action: "execute"; readonly events: ReadonlyArray<RunEvent>; readonly leaseOwner: string }
  | { readonly action: "return"; readonly step: StepState }
  | { readonly action: "locked"; readonly step: StepState }
  | { readonly action: "cancelled"; readonly run: RunState }
  | { readonly action: "input_mismatch"; readonly step: StepState }
  /** An abandoned step the replay contract will not run again: it is parked by `events`, then answered `locked`. */
  | { readonly action: "parked"; readonly events: ReadonlyArray<RunEvent> }
  /** The run is over its budget: instead of running the step, `events` stop the run (409 budget_exceeded). */
  | { readonly action: "budget_exceeded"; readonly events: ReadonlyArray<RunEvent> }

type ExistingStepOutcome = "execute" | Exclude<StepBeginOutcome, { action: "execute" }>

/** The run lease epoch a caller's writes are fenced by, when it holds the run's lease. */
const runEpochOf = (run: RunState, fence: Fence | undefined): number | null =>
  fence !== undefined && run.leaseOwner !== null && holds(fence, run.leaseOwner, run.attempt) ? run.attempt : null

/**
 * A running step started under an older run lease epoch than the run's: the worker that ran it
 * lost the run (crashed, or let it go), so its step lease means nothing any more. A step whose
 * client never took a run lease keeps its step lease until it expires, as in v0.6.
 */
const isAbandoned = (run: RunState, step: StepState) =>
  step.status === "running" && step.runEpoch !== null && step.runEpoch < run.attempt

/**
 * An abandoned step runs again when its replay contract allows it; otherwise nobody knows whether
 * its side effects happened, so it parks with the contract's decision (`manual_review`: a human
 * resolves it) instead of running twice.
 */
const abandonedStepOutcome = (step: StepState, now: number): ExistingStepOutcome => {
  const decision = finalFailureDecision(step.resumeContract)
  if (decision === "safe_replay") return "execute"
  return {
    action: "parked",
    events: [
      new StepFailed({
        stepId: step.id,
        name: step.name,
        retryable: false,
        error: {
          code: "step_abandoned",
          message: `step "${step.name}" was running when its worker lost the run (run lease epoch ${step.runEpoch}); ` +
            "whether its side effects happened is unknown, so it is not run again on its own"
        },
        resumeDecision: decision,
        status: statusForDecision(decision),
        at: iso(now)
      })
    ]
  }
}

/**
 * Whether a step that already has a record may be (re)executed now, or who keeps it. The step
 * lease's owner is the unit of exclusion: its own holder re-begins a running step at once.
 */
const existingStepOutcome = (
  run: RunState,
  step: StepState,
  cmd: { readonly inputHash: string; readonly now: number },
  owner: string | undefined
): ExistingStepOutcome => {
  if (step.status === "completed") {
    return step.inputHash === cmd.inputHash ? { action: "return", step } : { action: "input_mismatch", step }
  }
  if (isAbandoned(run, step)) return abandonedStepOutcome(step, cmd.now)
  if (step.status === "running") {
    return isLive(step.leaseExpiresAt, cmd.now) && step.leaseOwner !== owner ? { action: "locked", step } : "execute"
  }
  if (step.status === "failed_retryable") return "execute"
  if (step.status === "failed" && step.resumeDecision === "safe_replay") return "execute"
  return { action: "locked", step }
}

export const decideBeginStep = (state: RunAggregate, cmd: BeginStep) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<StepBeginOutcome, LeaseLost | RunAlreadyCompleted> => {
    if (run.status === "cancelled") return Either.right({ action: "cancelled", run })
    const step = state.steps.get(cmd.name)
    const outcome = step === undefined ? "execute" : existingStepOutcome(run, step, cmd, cmd.fence?.leaseOwner)
    if (outcome !== "execute") return Either.right(outcome)
    if (run.status === "completed") return Either.left(new RunAlreadyCompleted({ run }))
    return Either.map(checkRunFence(run, cmd.fence), (): StepBeginOutcome => {
      if (isOverBudget(run)) return { action: "budget_exceeded", events: budgetStop(run, cmd.now) }
      const leaseOwner = cmd.fence?.leaseOwner ?? cmd.generatedOwner
      return {
        action: "execute" as const,
        leaseOwner,
        events: [
          new StepStarted({
            stepId: step?.id ?? cmd.newStepId,
            name: cmd.name,
            inputHash: cmd.inputHash,
            input: cmd.input,
            options: cmd.options,
            resumeContract: normaliseResumeContract(cmd.options),
            leaseOwner,
            leaseExpiresAt: iso(cmd.now + cmd.leaseMs),
            attempt: (step?.attempt ?? 0) + 1,
            runEpoch: runEpochOf(run, cmd.fence),
            at: iso(cmd.now)
          })
        ]
      }
    })
  })

export interface RecordStep {
  readonly runId: string
  readonly name: string
  readonly inputHash: string
  readonly input: unknown
  readonly options: unknown
  readonly output: unknown
  /** Recording without a step lease is only for the run lease's holder. */
  readonly fence: Fence
  readonly newStepId: string
  /** How long the step ran before it was recorded: its start is that long ago (never before the run). */
  readonly durationMs?: number | undefined
  readonly now: number
}

export type StepRecordOutcome =
  | { readonly action: "recorded"; readonly events: ReadonlyArray<RunEvent> }
  /** Recorded too, and the run stopped after it: it is over its budget. */
  | { readonly action: "budget_exceeded"; readonly events: ReadonlyArray<RunEvent> }
  | Exclude<StepBeginOutcome, { readonly action: "execute" }>

/**
 * A step the run lease's holder already ran, recorded in one append: `step.started` and
 * `step.completed` together. A checkpoint that exists wins: it is returned, never overwritten.
 */
export const decideRecordStep = (state: RunAggregate, cmd: RecordStep) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<StepRecordOutcome, LeaseLost | RunAlreadyCompleted> => {
    if (run.status === "cancelled") return Either.right({ action: "cancelled", run })
    const step = state.steps.get(cmd.name)
    const outcome = step === undefined ? "execute" : existingStepOutcome(run, step, cmd, cmd.fence.leaseOwner)
    if (outcome !== "execute") return Either.right(outcome)
    if (run.status === "completed") return Either.left(new RunAlreadyCompleted({ run }))
    if (run.status !== "running" || !holds(cmd.fence, run.leaseOwner, run.attempt)) return Either.left(new LeaseLost({ run }))
    const stepId = step?.id ?? cmd.newStepId
    const at = iso(cmd.now)
    const startedAt = iso(Math.max(cmd.now - (cmd.durationMs ?? 0), Date.parse(run.createdAt)))
    // The step already ran, so its checkpoint is kept either way; an over-budget run stops right after it.
    const overBudget = isOverBudget(run)
    return Either.right({
      action: overBudget ? "budget_exceeded" as const : "recorded" as const,
      events: [
        new StepStarted({
          stepId,
          name: cmd.name,
          inputHash: cmd.inputHash,
          input: cmd.input,
          options: cmd.options,
          resumeContract: normaliseResumeContract(cmd.options),
          leaseOwner: cmd.fence.leaseOwner,
          leaseExpiresAt: at,
          attempt: (step?.attempt ?? 0) + 1,
          runEpoch: run.attempt,
          at: startedAt
        }),
        new StepCompleted({ stepId, name: cmd.name, output: cmd.output, at }),
        ...(overBudget ? budgetStop(run, cmd.now) : [])
      ]
    })
  })

export const findStep = (state: RunAggregate, stepId: string): StepState | undefined => {
  for (const step of state.steps.values()) if (step.id === stepId) return step
  return undefined
}

type StepWriteError = RunNotFound | RunCancelled | StepNotFound | LeaseLost

const requireStepHeldBy = (state: RunAggregate, cmd: { runId: string; stepId: string; fence: Fence }) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<{ run: RunState; step: StepState }, StepWriteError> => {
    if (run.status === "cancelled") return Either.left(new RunCancelled({ run }))
    const step = findStep(state, cmd.stepId)
    if (step === undefined) return Either.left(new StepNotFound({ stepId: cmd.stepId }))
    if (!holds(cmd.fence, step.leaseOwner, step.attempt)) return Either.left(new LeaseLost({ run, step }))
    return Either.right({ run, step })
  })

export interface CompleteStep {
  readonly runId: string
  readonly stepId: string
  readonly fence: Fence
  readonly output: unknown
  readonly now: number
}

/** Completing twice by the same holder is idempotent; a checkpoint's output never changes once written. */
export const decideCompleteStep = (state: RunAggregate, cmd: CompleteStep) =>
  Either.flatMap(requireStepHeldBy(state, cmd), ({ run, step }): Either.Either<ReadonlyArray<RunEvent>, LeaseLost> => {
    if (step.status === "completed") return Either.right([])
    if (step.status !== "running") return Either.left(new LeaseLost({ run, step }))
    return Either.right([new StepCompleted({ stepId: step.id, name: step.name, output: cmd.output, at: iso(cmd.now) })])
  })

export interface FailStep {
  readonly runId: string
  readonly stepId: string
  readonly fence: Fence
  readonly error: unknown
  readonly retryable: boolean
  readonly resumeDecision: ResumeDecision | undefined
  readonly now: number
}

export const decideFailStep = (state: RunAggregate, cmd: FailStep) =>
  Either.flatMap(requireStepHeldBy(state, cmd), ({ run, step }): Either.Either<ReadonlyArray<RunEvent>, LeaseLost> => {
    if (step.status !== "running") {
      return step.status === "completed" ? Either.left(new LeaseLost({ run, step })) : Either.right([])
    }
    const resumeDecision = cmd.resumeDecision ??
      (cmd.retryable ? "auto_retry" : finalFailureDecision(step.resumeContract))
    return Either.right([
      new StepFailed({
        stepId: step.id,
        name: step.name,
        retryable: cmd.retryable,
        error: cmd.error,
        resumeDecision,
        status: statusForDecision(resumeDecision),
        at: iso(cmd.now)
      })
    ])
  })
