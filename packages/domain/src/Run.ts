import type { RunEvent, StepResolution } from "./Events.js"
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
  readonly createdAt: string
  readonly updatedAt: string
  readonly completedAt: string | null
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
}

export const emptyAggregate: RunAggregate = { version: 0, run: undefined, steps: new Map() }

export const isFinal = (status: RunStatus) => status === "completed" || status === "cancelled"

export const evolve = (state: RunAggregate, event: RunEvent): RunAggregate => {
  const version = state.version + 1
  const run = state.run
  switch (event._tag) {
    case "run.created":
      return {
        ...state,
        version,
        run: {
          id: event.runId,
          workflowName: event.workflowName,
          input: event.input,
          metadata: event.metadata,
          recoveryWebhook: event.recoveryWebhook,
          channels: event.channels,
          status: "pending",
          result: null,
          error: null,
          failureClass: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          attempt: 0,
          createdAt: event.at,
          updatedAt: event.at,
          completedAt: null
        }
      }
    case "run.started":
      return withRun(state, version, {
        status: "running",
        leaseOwner: event.leaseOwner,
        leaseExpiresAt: event.leaseExpiresAt,
        attempt: event.attempt,
        error: null,
        failureClass: null,
        updatedAt: event.at
      })
    case "run.released":
      return withRun(state, version, { leaseOwner: null, leaseExpiresAt: null, updatedAt: event.at })
    case "run.completed":
      return withRun(state, version, {
        status: "completed",
        result: event.result,
        leaseOwner: null,
        leaseExpiresAt: null,
        completedAt: event.at,
        updatedAt: event.at
      })
    case "run.failed":
      return withRun(state, version, {
        status: "failed",
        error: event.error,
        failureClass: event.failureClass,
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: event.at
      })
    case "step.started": {
      const previous = state.steps.get(event.name)
      const step: StepState = {
        id: event.stepId,
        runId: run?.id ?? "",
        name: event.name,
        seq: previous?.seq ?? version,
        inputHash: event.inputHash,
        input: event.input,
        options: event.options,
        resumeContract: event.resumeContract,
        status: "running",
        output: null,
        error: null,
        resumeDecision: null,
        leaseOwner: event.leaseOwner,
        leaseExpiresAt: event.leaseExpiresAt,
        attempt: event.attempt,
        runEpoch: event.runEpoch,
        resolution: previous?.resolution ?? null,
        resolvedBy: previous?.resolvedBy ?? null,
        resolutionReason: previous?.resolutionReason ?? null,
        resolvedAt: previous?.resolvedAt ?? null,
        startedAt: event.at,
        completedAt: null,
        createdAt: previous?.createdAt ?? event.at,
        updatedAt: event.at
      }
      const next = withStep(state, version, step)
      return run?.status === "pending" ? withRun(next, version, { status: "running", updatedAt: event.at }) : next
    }
    case "step.completed":
      return withStepPatch(state, version, event.name, {
        status: "completed",
        output: event.output,
        leaseExpiresAt: null,
        completedAt: event.at,
        updatedAt: event.at
      })
    case "step.failed":
      return withStepPatch(state, version, event.name, {
        status: event.status,
        error: event.error,
        resumeDecision: event.resumeDecision,
        leaseExpiresAt: null,
        resolution: null,
        resolvedBy: null,
        resolutionReason: null,
        resolvedAt: null,
        updatedAt: event.at
      })
    case "step.resolved": {
      const resolved = { resolution: event.action, resolvedBy: event.actor, resolutionReason: event.reason, resolvedAt: event.at }
      switch (event.action) {
        case "retry":
          return withStepPatch(state, version, event.name, {
            ...resolved,
            status: "failed_retryable",
            resumeDecision: "auto_retry",
            leaseExpiresAt: null,
            updatedAt: event.at
          })
        case "complete":
          return withStepPatch(state, version, event.name, {
            ...resolved,
            status: "completed",
            output: event.output ?? null,
            leaseExpiresAt: null,
            completedAt: event.at,
            updatedAt: event.at
          })
        case "fail":
          return withStepPatch(state, version, event.name, {
            ...resolved,
            status: "failed",
            resumeDecision: "fail_hard",
            leaseExpiresAt: null,
            updatedAt: event.at
          })
      }
    }
  }
}

const withRun = (state: RunAggregate, version: number, patch: Partial<RunState>): RunAggregate =>
  state.run === undefined ? { ...state, version } : { ...state, version, run: { ...state.run, ...patch } }

const withStep = (state: RunAggregate, version: number, step: StepState): RunAggregate => {
  const steps = new Map(state.steps)
  steps.set(step.name, step)
  return { ...state, version, steps }
}

const withStepPatch = (state: RunAggregate, version: number, name: string, patch: Partial<StepState>) => {
  const step = state.steps.get(name)
  return step === undefined ? { ...state, version } : withStep(state, version, { ...step, ...patch })
}

export const fold = (events: Iterable<RunEvent>, from: RunAggregate = emptyAggregate): RunAggregate => {
  let state = from
  for (const event of events) state = evolve(state, event)
  return state
}
