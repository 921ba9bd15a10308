import type { Run } from "@tidebase/api"
import { Cause, Duration, Effect, Fiber, Layer } from "effect"
import type { Scope } from "effect"
import type { CurrentRun } from "./RunContext.js"
import { Tidebase } from "./Tidebase.js"
import { DEFAULT_QUEUE } from "./Queues.js"

export interface WorkerOptions {
  /** The queues it claims from (default `["default"]`). */
  readonly queues?: ReadonlyArray<string>
  /** How many runs it works on at once (default 1). */
  readonly concurrency?: number
  /** How long one claim waits for a run before asking again (default 10 s). */
  readonly waitMs?: number
  /** This worker's lease owner name (default: the client's `workerId`, else one made per worker). */
  readonly workerId?: string
  /** On shutdown, how long runs in progress may take to finish before they are interrupted (default 30 s). */
  readonly shutdownGrace?: Duration.DurationInput
  /** Told of a run that failed (it is failed on the server, and requeued while it has tries left). */
  readonly onError?: (cause: Cause.Cause<unknown>, run: Run) => Effect.Effect<void>
}

/** Runs one claimed run: the worker's lease owner holds its lease, so `tide.run` under that owner takes it over at once. */
export type Execute<R> = (run: Run, leaseOwner: string) => Effect.Effect<unknown, unknown, R>

/** A workflow a worker runs by name: the body of `tide.run`, given the run's input. */
export type WorkerWorkflow = (input: any) => Effect.Effect<unknown, unknown, any>

const CLAIM_RETRY = Duration.seconds(1)

/**
 * Claims runs from queues and executes them, `concurrency` at a time: each slot long-polls a
 * claim of one run, runs it, and claims again. Closing its scope stops claiming at once; runs in
 * progress get `shutdownGrace` to finish, then are interrupted (their leases are released, and
 * the reconciler requeues what was left).
 */
export const make = <R>(execute: Execute<R>, options: WorkerOptions = {}): Effect.Effect<void, never, Tidebase | R | Scope.Scope> =>
  Effect.gen(function*() {
    const tide = yield* Tidebase
    const queues = options.queues ?? [DEFAULT_QUEUE]
    const leaseOwner = options.workerId ?? `worker_${crypto.randomUUID().replaceAll("-", "")}`
    const waitMs = options.waitMs ?? 10_000
    const inFlight = new Set<Fiber.RuntimeFiber<void>>()

    // Added before the slots start, so it runs after they are interrupted: no run is claimed while it waits.
    yield* Effect.addFinalizer(() =>
      Effect.forEach(inFlight, Fiber.await, { concurrency: "unbounded", discard: true }).pipe(
        Effect.timeout(options.shutdownGrace ?? Duration.seconds(30)),
        Effect.catchTag("TimeoutException", () => Fiber.interruptAll(inFlight))
      ))

    const runOne = (run: Run) =>
      execute(run, leaseOwner).pipe(
        Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? Effect.void : options.onError?.(cause, run) ?? Effect.void),
        Effect.asVoid
      )

    const slot = Effect.gen(function*() {
      while (true) {
        const claimed = yield* tide.queues.claim(queues, { leaseOwner, limit: 1, waitMs }).pipe(
          Effect.tapError((error) => Effect.logWarning(`tidebase worker: claim failed (${error.message}); trying again`)),
          Effect.orElse(() => Effect.as(Effect.sleep(CLAIM_RETRY), { runs: [] as ReadonlyArray<Run> }))
        )
        for (const run of claimed.runs) {
          // A daemon, so that stopping the slot's claims does not stop the run; the finalizer waits for it.
          const fiber = yield* Effect.forkDaemon(runOne(run))
          inFlight.add(fiber)
          yield* Fiber.await(fiber)
          inFlight.delete(fiber)
        }
      }
    })

    yield* Effect.forkScoped(Effect.forEach(Array.from({ length: Math.max(1, options.concurrency ?? 1) }), () => slot, {
      concurrency: "unbounded",
      discard: true
    }))
  })

/**
 * A worker over workflows registered by name. A claimed run of a workflow it does not have is
 * failed at once (so it is requeued for a worker that has it, while it has tries left).
 */
export const forWorkflows = (workflows: Readonly<Record<string, WorkerWorkflow>>): Execute<Tidebase> => (run, leaseOwner) =>
  Effect.flatMap(Tidebase, (tide) => {
    const body = workflows[run.workflowName]
    if (body !== undefined) {
      return tide.run(run.workflowName, { runId: run.id, workerId: leaseOwner }, body as (input: unknown) => Effect.Effect<unknown, unknown, CurrentRun>)
    }
    const error = { code: "unknown_workflow", message: `worker ${leaseOwner} has no workflow named ${run.workflowName}` }
    return tide.client.runs.fail({ path: { runId: run.id }, payload: { error, leaseOwner } }).pipe(
      Effect.ignore,
      Effect.zipRight(Effect.fail(new Error(error.message)))
    )
  })

/** A worker running until interrupted. */
export const run = (workflows: Readonly<Record<string, WorkerWorkflow>>, options: WorkerOptions = {}): Effect.Effect<never, never, Tidebase> =>
  Effect.scoped(Effect.zipRight(make(forWorkflows(workflows), options), Effect.never))

/** A worker for as long as the layer lives: built, it claims; released, it shuts down gracefully. */
export const layer = (workflows: Readonly<Record<string, WorkerWorkflow>>, options: WorkerOptions = {}): Layer.Layer<never, never, Tidebase> =>
  Layer.scopedDiscard(make(forWorkflows(workflows), options))
