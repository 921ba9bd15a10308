import type { Run as WireRun } from "@tidebase/api"
import { newRunId } from "@tidebase/domain"
import { Cause, Deferred, Effect, Either, Exit, Fiber, Option, Schema } from "effect"
import { errorJson } from "./ErrorJson.js"
import type { LeaseLostError, WorkflowError } from "./Errors.js"
import { RunCancelledError, RunFailedError, WorkflowMismatch } from "./Errors.js"
import { cancellation } from "./CancelWatch.js"
import { acquireRunLease, keepLeaseAlive, releaseLease } from "./RunLease.js"
import type { RunLease } from "./RunLease.js"
import { request } from "./Request.js"
import { releasedOnSignal } from "./SignalRelease.js"
import { CurrentRun } from "./RunContext.js"
import type { RunContext } from "./RunContext.js"
import type { TidebaseClient } from "./TidebaseClient.js"
import type { Context } from "effect"

export interface RunOptions<A = unknown> {
  /** Client-chosen id: the same id always means the same run, so re-invoking resumes it. */
  readonly runId?: string
  readonly input?: unknown
  readonly metadata?: unknown
  readonly recoveryWebhook?: string | null
  readonly channels?: unknown
  /**
   * Limits on the run's recorded usage, set when the run is created (an existing run keeps its
   * own: change it with `runs.setBudget`). Over it, the run stops at its next step.
   */
  readonly budget?: BudgetInput | null
  /** A run still going this long after it is created is cancelled (reason `deadline`): its steps in flight stop. */
  readonly deadlineMs?: number | null
  /** Encodes the run's result, and decodes the stored one when the run had already completed. */
  readonly result?: Schema.Schema<A, any, never>
  /** Run lease length (server default when unset); a heartbeat renews it while the body runs. */
  readonly leaseMs?: number
  /**
   * This worker's stable name (default `TIDEBASE_WORKER_ID`): restarted under the same name, it
   * takes its own runs' leases back at once instead of waiting for them to expire. Unset, each
   * invocation is its own owner.
   */
  readonly workerId?: string | undefined
  /** Called once if a heartbeat is refused: another worker took the run over, or it was cancelled. */
  readonly onLeaseLost?: ((refusal: LeaseLostError | RunCancelledError) => void) | undefined
}

type Client = Context.Tag.Service<TidebaseClient>

/** A run's budget as given: an absent or null limit is no limit. */
export interface BudgetInput {
  readonly maxCostUsd?: number | null
  readonly maxTotalTokens?: number | null
}

/** Over budget means past a limit, not at it, as the server counts it; the server's answer decides, this only routes the next step. */
const isOverBudget = (run: WireRun) =>
  run.budget !== null &&
  ((run.budget.maxCostUsd !== null && run.usageTotals.costUsd > run.budget.maxCostUsd) ||
    (run.budget.maxTotalTokens !== null && run.usageTotals.totalTokens > run.budget.maxTotalTokens))

/**
 * Take the run's lease and its checkpoints, in one request: begin creates the run when the server
 * does not know it yet (with an id made here when none is given: a begin whose answer was lost
 * can then be sent again and finds its run instead of making a second one). A client-chosen id
 * may have checkpoints, read alongside. A server that cannot create on begin answers 404, and the
 * run is created first, then begun.
 */
const start = (client: Client, workflowName: string, options: RunOptions<any>) => {
  // One owner per invocation: a begin repeated after a create finds its own lease, not a stranger's.
  const owner = options.workerId ?? `worker_${crypto.randomUUID().replaceAll("-", "")}`
  const runId = options.runId ?? newRunId()
  const createThenBegin = Effect.flatMap(
    request(client.runs.create({ path: { workflowName }, payload: { ...createPayload(options), runId } }), { runId }),
    ({ created, run }) =>
      run.workflowName === workflowName
        ? beginWithCheckpoints(client, workflowName, run.id, owner, options, !created)
        : Effect.fail(mismatch(run, workflowName))
  )
  return beginWithCheckpoints(client, workflowName, runId, owner, options, options.runId !== undefined, createPayload(options)).pipe(
    Effect.catchTag("RunNotFoundError", () => createThenBegin),
    Effect.catchTag("RunNotFoundError", Effect.die)
  )
}

const mismatch = (run: WireRun, workflowName: string) =>
  new WorkflowMismatch({ runId: run.id, workflowName, runWorkflowName: run.workflowName })

/**
 * Checkpoints never change once written, so reading them while the lease is being taken is
 * safe: a step completed after the read is still answered `return` by steps/begin. After
 * waiting out another invocation's lease they are read again, since it may have added some.
 * The server refuses to begin a run of another workflow (`WorkflowMismatch`), at once and
 * without writing anything.
 */
const beginWithCheckpoints = (
  client: Client,
  workflowName: string,
  runId: string,
  owner: string,
  options: RunOptions<any>,
  mayHaveSteps: boolean,
  create?: ReturnType<typeof createPayload>
) =>
  Effect.gen(function*() {
    // Both settle before either's failure counts: aborting the sibling request would only cost the server work.
    const [begun, prefetch] = yield* Effect.all([
      acquireRunLease(client, workflowName, runId, owner, options.leaseMs, create),
      mayHaveSteps ? readCheckpoints(client, runId) : Effect.succeed([])
    ], { concurrency: 2, mode: "either" })
    const { lease, run, waited } = yield* begun
    // The read can lose a race with a concurrent create that the begin won.
    const prefetched = Either.isRight(prefetch) ? prefetch.right : yield* readCheckpoints(client, runId)
    const checkpoints = lease !== null && waited ? yield* readCheckpoints(client, runId) : prefetched
    return { lease, run, checkpoints }
  })

/**
 * Create-or-get the run, take its lease (waiting while another invocation holds it), prefetch
 * its checkpoints once, run the body with the run in context, then record the outcome.
 */
export const runWorkflow = <A, E, R>(
  client: Client,
  workflowName: string,
  options: RunOptions<A>,
  body: (input: unknown) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | WorkflowError, Exclude<R, CurrentRun>> =>
  Effect.gen(function*() {
    const { checkpoints, lease, run } = yield* start(client, workflowName, options)
    if (lease === null) return yield* storedResult(options, run)

    const watching = yield* Deferred.make<void>()
    const context: RunContext = {
      runId: run.id,
      workflowName,
      input: lease.run.input,
      leaseOwner: lease.leaseOwner,
      leaseEpoch: lease.leaseEpoch,
      client,
      checkpoints: new Map(checkpoints.map((c) => [c.name, c])),
      journal: [],
      failures: new Map(),
      overBudget: isOverBudget(lease.run),
      watchCancel: () => Deferred.unsafeDone(watching, Exit.void)
    }

    const heartbeat = yield* Effect.fork(keepLeaseAlive(client, lease, options.leaseMs, options.onLeaseLost))
    // A cancel heard on the run's live stream interrupts the body, a step in flight included.
    const exit = yield* Effect.exit(Effect.raceFirst(
      Effect.provideService(body(context.input), CurrentRun, context),
      Effect.zipRight(Deferred.await(watching), cancellation(client, lease))
    )).pipe(
      releasedOnSignal(client, lease),
      // Interrupted from outside (e.g. runMain on SIGINT): the lease goes back rather than expiring.
      Effect.onInterrupt(() => releaseLease(client, lease))
    )
    yield* Fiber.interrupt(heartbeat)
    return yield* Exit.isSuccess(exit) ? complete(client, lease, options, exit.value) : recordFailure(client, context, lease, exit.cause)
  }) as Effect.Effect<A, E | WorkflowError, Exclude<R, CurrentRun>>

const createPayload = (options: RunOptions<any>) => ({
  ...(options.runId === undefined ? {} : { runId: options.runId }),
  ...(options.input === undefined ? {} : { input: options.input }),
  ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
  ...(options.recoveryWebhook === undefined ? {} : { recoveryWebhook: options.recoveryWebhook }),
  ...(options.channels === undefined ? {} : { channels: options.channels }),
  ...(options.budget === undefined ? {} : { budget: options.budget }),
  ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs })
})

const readCheckpoints = (client: Client, runId: string) =>
  Effect.map(request(client.runs.checkpoints({ path: { runId } }), { runId }), ({ checkpoints }) => checkpoints)

/** Begin hands back a final run as is: a completed one's stored result is the answer, a failed-for-good one fails. */
const storedResult = <A>(options: RunOptions<A>, run: WireRun): Effect.Effect<A, RunFailedError> =>
  run.status === "failed"
    ? Effect.fail(new RunFailedError({ runId: run.id, failureClass: run.failureClass, error: run.error }))
    : options.result === undefined
    ? Effect.succeed(run.result as A)
    : Effect.orDie(Schema.decodeUnknown(options.result)(run.result))

const complete = <A>(client: Client, lease: RunLease, options: RunOptions<A>, value: A) =>
  Effect.gen(function*() {
    const result = options.result === undefined ? value : yield* Effect.orDie(Schema.encode(options.result)(value))
    const { run } = yield* request(
      client.runs.complete({
        path: { runId: lease.run.id },
        payload: { result, leaseOwner: lease.leaseOwner, leaseEpoch: lease.leaseEpoch }
      }),
      { runId: lease.run.id }
    ).pipe(Effect.catchTag("RunNotFoundError", Effect.die))
    if (run.status === "cancelled") return yield* new RunCancelledError({ runId: run.id, reason: run.cancelReason, actor: run.cancelActor })
    return value
  })

/**
 * Fenced-off and cancelled runs are not ours to fail, nor is one the server stopped for its budget
 * (its `budget_exceeded` failure must stay what a person sees); an interrupted one gives its
 * lease back for the next invocation.
 */
const recordFailure = <E>(client: Client, context: RunContext, lease: RunLease, cause: Cause.Cause<E>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.zipRight(releaseLease(client, lease), Effect.failCause(cause))
  const error = Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause))
  const tag = (error as { readonly _tag?: unknown } | null)?._tag
  if (tag === "RunCancelledError" || tag === "LeaseLostError" || tag === "BudgetExceededError") return Effect.failCause(cause)
  const { error: json, failureClass } = describeFailure(context, error)
  return client.runs.fail({
    path: { runId: lease.run.id },
    payload: { error: json, failureClass, leaseOwner: lease.leaseOwner, leaseEpoch: lease.leaseEpoch }
  }).pipe(Effect.ignore, Effect.zipRight(Effect.failCause(cause)))
}

/** A step's final failure classifies the run by the step's resume decision. */
const describeFailure = (context: RunContext, error: unknown): { error: unknown; failureClass: string | null } => {
  const e = error as { readonly _tag?: string; readonly step?: string; readonly resumeDecision?: string | null; readonly error?: unknown }
  switch (e?._tag) {
    case "StepFailedError":
      return { error: { ...asObject(errorJson(e.error)), step: e.step, resumeDecision: e.resumeDecision }, failureClass: e.resumeDecision ?? null }
    case "StepLockedError":
      return { error: { ...asObject(errorJson(error)), step: e.step }, failureClass: e.resumeDecision ?? "step_locked" }
    case "InputMismatchError":
      return { error: { ...asObject(errorJson(error)), step: e.step }, failureClass: "input_mismatch" }
  }
  const failed = context.failures.get(error)
  return failed === undefined
    ? { error: errorJson(error), failureClass: null }
    : { error: { ...asObject(errorJson(error)), ...failed }, failureClass: failed.resumeDecision }
}

const asObject = (json: unknown): Record<string, unknown> =>
  json !== null && typeof json === "object" && !Array.isArray(json) ? json as Record<string, unknown> : { value: json }
