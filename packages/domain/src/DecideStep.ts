import { Either } from "effect"
import { checkRunFence, holdsLease, isLeaseLive, requireRun } from "./Decide.js"
import type { Fence } from "./Decide.js"
import { LeaseLost, RunAlreadyCompleted, RunCancelled, StepNotFound } from "./Errors.js"
import type { RunNotFound } from "./Errors.js"
import { StepCompleted, StepFailed, StepStarted } from "./Events.js"
import type { RunEvent } from "./Events.js"
import { budgetStop, isOverBudget } from "./RecordUsage.js"
import { finalFailureDecision, normaliseResumeContract, statusForDecision } from "./ResumeContract.js"
import type { ResumeDecision } from "./ResumeContract.js"
import type { RunAggregate, RunState, StepState } from "./Run.js"

const iso = (ms: number) => new Date(ms).toISOString()

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
  fence !== undefined && run.leaseOwner !== null && holdsLease(fence, run.leaseOwner, run.attempt) ? run.attempt : null

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
    return isLeaseLive(step.leaseExpiresAt, cmd.now) && step.leaseOwner !== owner ? { action: "locked", step } : "execute"
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
    if (run.status !== "running" || !holdsLease(cmd.fence, run.leaseOwner, run.attempt)) return Either.left(new LeaseLost({ run }))
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
    if (!holdsLease(cmd.fence, step.leaseOwner, step.attempt)) return Either.left(new LeaseLost({ run, step }))
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
