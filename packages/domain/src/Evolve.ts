import type { RunEvent } from "./Events.js"
import type { ChannelDelivery, RecoveryAttempt, StateVersion } from "./Records.js"
import { emptyAggregate } from "./Run.js"
import type { RunAggregate, RunState, StepState } from "./Run.js"

/** How each event moves a run's aggregate: the one fold every read model and every decision agrees with. */
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
          budget: event.budget,
          inputTokens: 0,
          outputTokens: 0,
          totalTokens: 0,
          costUsd: 0,
          createdAt: event.at,
          updatedAt: event.at,
          completedAt: null,
          cancelledAt: null,
          cancelReason: null,
          cancelActor: null,
          deadlineAt: event.deadlineAt ?? null,
          queue: null,
          dedupeKey: null,
          priority: 0,
          runAt: null,
          maxAttempts: null,
          claims: 0,
          claimedAt: null
        }
      }
    case "run.enqueued":
      return withRun(state, version, {
        status: "queued",
        queue: event.queue,
        runAt: event.runAt,
        dedupeKey: event.dedupeKey,
        priority: event.priority,
        maxAttempts: event.maxAttempts,
        updatedAt: event.at
      })
    case "run.claimed":
      return withRun(state, version, {
        status: "running",
        leaseOwner: event.leaseOwner,
        leaseExpiresAt: event.leaseExpiresAt,
        attempt: event.attempt,
        claims: event.claims,
        claimedAt: event.at,
        updatedAt: event.at
      })
    case "run.requeued":
      return withRun(state, version, {
        status: "queued",
        error: event.error,
        runAt: event.nextRunAt,
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: event.at
      })
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
    case "run.forked":
      // Copied steps flipped it to running; nothing runs it until it is invoked.
      return withRun(state, version, { status: "pending", updatedAt: event.at })
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
    case "run.cancelled":
      return withRun(state, version, {
        status: "cancelled",
        leaseOwner: null,
        leaseExpiresAt: null,
        cancelledAt: event.at,
        cancelReason: event.reason,
        cancelActor: event.actor,
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
    case "run.budget.updated":
      return withRun(state, version, { budget: event.budget, updatedAt: event.at })
    case "state.updated":
    case "state.saved":
    case "snapshot.created":
      return withStateVersion(state, version, event.stream, event.stateVersion)
    case "usage.recorded": {
      const usage = event.usage
      const next = run === undefined ? { ...state, version } : withRun(state, version, {
        inputTokens: run.inputTokens + (usage.inputTokens ?? 0),
        outputTokens: run.outputTokens + (usage.outputTokens ?? 0),
        totalTokens: run.totalTokens + (usage.totalTokens ?? 0),
        costUsd: addUsd(run.costUsd, usage.costUsd ?? 0)
      })
      if (usage.idempotencyKey === null) return next
      const records = new Map(state.usage)
      records.set(usage.idempotencyKey, usage)
      return { ...next, usage: records }
    }
    case "gate.created":
    case "gate.resolved": {
      const gates = new Map(state.gates)
      gates.set(event.gate.name, event.gate)
      return { ...state, version, gates }
    }
    case "recovery.started":
      return withRecovery(state, version, event.attempt)
    case "recovery.delivered":
    case "recovery.failed": {
      const attempt = state.recoveries.get(event.recoveryAttemptId)
      if (attempt === undefined) return { ...state, version }
      return withRecovery(state, version, afterTry(attempt, event._tag === "recovery.delivered" ? undefined : event, event))
    }
    case "delivery.queued":
      return withDelivery(state, version, event.delivery)
    case "delivery.delivered":
    case "delivery.failed": {
      const delivery = state.deliveries.get(event.deliveryId)
      if (delivery === undefined) return { ...state, version }
      return withDelivery(state, version, afterTry(delivery, event._tag === "delivery.delivered" ? undefined : event, event))
    }
    case "run.child.created": {
      const edges = new Map(state.edges)
      edges.set(event.edge.name, event.edge)
      return { ...state, version, edges }
    }
  }
}

/** Costs are summed in nano-dollars so that totals read 0.3, not 0.30000000000000004, the same in every fold. */
const addUsd = (a: number, b: number) => Math.round((a + b) * 1e9) / 1e9

/** A state stream named `type:id` is about that target; any other name is a stream of the run itself. */
export const streamTarget = (runId: string, name: string): { readonly targetType: string; readonly targetId: string } => {
  const colon = name.indexOf(":")
  return colon > 0 && colon < name.length - 1
    ? { targetType: name.slice(0, colon), targetId: name.slice(colon + 1) }
    : { targetType: "run", targetId: runId }
}

const withStateVersion = (state: RunAggregate, version: number, name: string, v: StateVersion): RunAggregate => {
  const previous = state.stateStreams.get(name)
  const streams = new Map(state.stateStreams)
  streams.set(name, {
    id: v.streamId,
    runId: v.runId,
    name,
    ...streamTarget(v.runId, name),
    currentVersion: v.version,
    currentValue: v.value,
    metadata: previous?.metadata ?? {},
    createdAt: previous?.createdAt ?? v.createdAt,
    updatedAt: v.createdAt
  })
  return { ...state, version, stateStreams: streams }
}

interface Tried {
  readonly tries: number
  readonly httpStatus: number | null
  readonly responseBody: string | null
  readonly at: string
}

/** An outbound call (recovery or channel delivery) after one try: delivered, or `failure` says when it is tried again (never: failed). */
const afterTry = <A extends RecoveryAttempt | ChannelDelivery>(
  call: A,
  failure: { readonly error: string | null; readonly nextAttemptAt: string | null } | undefined,
  tried: Tried
): A => ({
  ...call,
  status: failure === undefined ? "delivered" : failure.nextAttemptAt === null ? "failed" : "pending",
  tries: tried.tries,
  nextAttemptAt: failure?.nextAttemptAt ?? null,
  httpStatus: tried.httpStatus,
  responseBody: tried.responseBody,
  error: failure?.error ?? null,
  updatedAt: tried.at
})

const withDelivery = (state: RunAggregate, version: number, delivery: ChannelDelivery): RunAggregate => {
  const deliveries = new Map(state.deliveries)
  deliveries.set(delivery.id, delivery)
  return { ...state, version, deliveries }
}

const withRecovery = (state: RunAggregate, version: number, attempt: RecoveryAttempt): RunAggregate => {
  const recoveries = new Map(state.recoveries)
  recoveries.set(attempt.id, attempt)
  return { ...state, version, recoveries }
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
