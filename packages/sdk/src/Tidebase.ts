import type { Event, Gate, QueueConfig, QueueSummary, RecoveryAttempt, Run, RunDetail, RunReplay, ScheduleModel, Step } from "@tidebase/api"
import { CurrentRun, Tidebase as EffectTidebase, Worker } from "@tidebase/effect"
import type { BudgetInput, CancelRunOptions, Enqueued, EnqueueOptions, ForkOptions, ListRunsFilter, QueueSettings, ResolveGateOptions, ResolveStepOptions, ScheduleOptions, SubscribeOptions } from "@tidebase/effect"
import { Cause, Effect, Exit, ManagedRuntime, Stream } from "effect"
import { subscription } from "./Subscription.js"
import type { EventSubscription } from "./Subscription.js"
import type { ConfigError } from "effect"
import type { RunOptions, TidebaseOptions } from "./Options.js"
import { attachSession } from "./Session.js"
import type { AttachOptions, AttachTarget, Session } from "./Session.js"
import { undiciClient } from "./UndiciClient.js"
import { makeWebhookHandler } from "./Webhook.js"
import type { WebhookOptions } from "./Webhook.js"
import { makeWorkflowRun, outsideSteps } from "./WorkflowRun.js"
import type { WorkflowRun } from "./WorkflowRun.js"

export type WorkflowFn<I = any, A = unknown, S = any> = (run: WorkflowRun<I, S>, input: I) => A | PromiseLike<A>

export interface WorkOptions extends Omit<Worker.WorkerOptions, "onError" | "shutdownGrace"> {
  /** Aborting it stops the worker gracefully; without one it works until the process ends. */
  readonly signal?: AbortSignal
  /** Told of each run that failed (default: logged to stderr). */
  readonly onError?: (error: unknown, run: Run) => void
  /** How long runs in progress may take to finish once `signal` aborts (default 30 s). */
  readonly shutdownGraceMs?: number
}

const defaultOnError = (cause: Cause.Cause<unknown>, run: Run) =>
  console.error(`tidebase: run ${run.id} (${run.workflowName}) failed`, Cause.squash(cause))

const env = (name: string): string | undefined => globalThis.process?.env?.[name] || undefined

/** The promise SDK: `@tidebase/effect` run on a ManagedRuntime, with errors thrown as they were raised. */
export class Tidebase {
  readonly #runtime: ManagedRuntime.ManagedRuntime<EffectTidebase, ConfigError.ConfigError>
  readonly #webhookSecret: string | undefined
  readonly #workflows = new Map<string, WorkflowFn<any, any, any>>()

  constructor(options: TidebaseOptions = {}) {
    this.#runtime = ManagedRuntime.make(
      EffectTidebase.layer({
        url: options.url,
        apiKey: options.apiKey,
        workerId: options.workerId,
        retryTransportFor: options.retryTransportForMs,
        requestTimeout: options.requestTimeoutMs,
        httpClient: undiciClient
      })
    )
    this.#webhookSecret = options.webhookSecret ?? env("TIDEBASE_WEBHOOK_SECRET")
  }

  async #exec<A>(effect: Effect.Effect<A, unknown, EffectTidebase>): Promise<A> {
    const exit = await this.#runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }

  /**
   * Run `fn` as the workflow `name`, or resume it when `runId` names an existing run: completed
   * steps return their checkpoints, and a completed run returns its stored result. Without `fn`,
   * the workflow registered under `name` runs.
   */
  run<I = any, A = unknown, S = any>(name: string, options: RunOptions<I, S> = {}, fn?: WorkflowFn<I, A, S>): Promise<A> {
    const workflow = fn ?? this.#workflows.get(name)
    if (workflow === undefined) return Promise.reject(new Error(`no workflow registered as ${name}`))
    return this.#exec(this.#runEffect(name, options, workflow))
  }

  #runEffect<I, A, S>(name: string, options: RunOptions<I, S>, workflow: WorkflowFn<I, A, S>) {
    const { stateSchema, ...runOptions } = options
    return Effect.flatMap(EffectTidebase, (tide) =>
      tide.run(name, runOptions, (input: I) =>
        Effect.flatMap(CurrentRun, (context) =>
          Effect.tryPromise({
            // `signal` aborts when the run's fiber is interrupted (a cancel): the steps in flight stop with it.
            try: (signal): Promise<A> =>
              outsideSteps(async () => await workflow(makeWorkflowRun<I, S>(context, stateSchema, this.#runChildHere, signal), input)),
            catch: (error) => error
          }))))
  }

  /** A child whose workflow is registered here runs here, resumed by its run id like any run. */
  readonly #runChildHere = (workflowName: string, runId: string): Promise<unknown> | undefined =>
    this.#workflows.has(workflowName) ? this.run(workflowName, { runId }) : undefined

  /** Register `fn` under `name` for `tide.run(name, options)`, the webhook handler and child runs. */
  workflow<I = any, A = unknown, S = any>(name: string, fn: WorkflowFn<I, A, S>): WorkflowFn<I, A, S> {
    this.#workflows.set(name, fn)
    return fn
  }

  readonly runs = {
    /** Create (or, with a known `runId`, get) a run without executing anything. */
    create: (name: string, options: RunOptions = {}): Promise<Run> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => Effect.map(tide.runs.create(name, options), ({ run }) => run))),
    /** The run with its steps, state (`state`, `stateStreams`, `stateVersions`), usage ledger and events. */
    get: (runId: string): Promise<RunDetail> => this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.get(runId))),
    list: (filter: ListRunsFilter = {}): Promise<ReadonlyArray<Run>> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.list(filter))),
    /** One page of runs, newest first; pass `next` back as `cursor` for the following page (null: the last). */
    page: (filter: ListRunsFilter = {}): Promise<{ readonly runs: ReadonlyArray<Run>; readonly next: string | null }> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.page(filter))),
    /** The run as of its event `seq` (its latest when omitted), folded from its event log: for debugging what happened when. */
    replay: (runId: string, options: { readonly seq?: number } = {}): Promise<RunReplay> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.replay(runId, options))),
    /**
     * A new run whose history is the source's up to `atSeq` or `afterStep` (with `stepOutputs`
     * replacing recorded outputs): `tide.run(name, { runId: fork.run.id }, fn)` replays that prefix
     * and executes the rest. The source is never changed.
     */
    fork: (runId: string, options: ForkOptions = {}): Promise<{ readonly run: Run; readonly forkedAtSeq: number; readonly steps: ReadonlyArray<Step> }> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.fork(runId, options))),
    /**
     * Sets, changes or (null) clears the run's budget. A run stopped by its budget goes on when it
     * is raised and the run is re-invoked (completed steps replay).
     */
    setBudget: (runId: string, budget: BudgetInput | null): Promise<Run> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.setBudget(runId, budget))),
    /**
     * A session on a run, driven step by step without a workflow function: `attach(runId)` resumes
     * an existing run, `attach({workflowName, input?, runId?})` creates one (or resumes it).
     */
    attach: async <I = any, S = any>(target: AttachTarget<I>, options: AttachOptions = {}): Promise<Session<I, S>> => {
      const { workflowName, ...runOptions } = typeof target === "string"
        ? { workflowName: (await this.runs.get(target)).run.workflowName, runId: target }
        : target
      return attachSession<I, S>((name, opts, fn) => this.run(name, opts, fn), workflowName, runOptions as RunOptions<I>, options)
    },
    /** Sends the run's recovery webhook a `run.resume` now; rejects with NoRecoveryWebhookError when it has none. */
    recover: (runId: string, options: { readonly reason?: string | null } = {}): Promise<RecoveryAttempt> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.recover(runId, options))),
    /** Stops the run for good (its pending gates resolve `canceled`); rejects with RunAlreadyCompletedError on a completed run. */
    cancel: (runId: string, options: CancelRunOptions = {}): Promise<Run> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.runs.cancel(runId, options)))
  }

  readonly events = {
    /**
     * The events of one run, or of every run (`"all"`), after `after` (a seq, or for `"all"` a
     * position), then live; a dropped connection resumes after the last event seen. Iterate it with
     * `for await`, or pass `onEvent`; `close()` ends it.
     */
    subscribe: (target: string, options: SubscribeOptions = {}, onEvent?: (event: Event) => void): EventSubscription => {
      const events = Stream.unwrap(Effect.map(EffectTidebase, (tide) => tide.events.subscribe(target, options)))
      const live = subscription(this.#runtime, onEvent === undefined ? events : Stream.tap(events, (e) => Effect.sync(() => onEvent(e))))
      if (onEvent !== undefined) void (async () => { for await (const _ of live); })()
      return live
    }
  }

  readonly gates = {
    /** Decides a gate exactly once; a second decision, a wrong token or an unknown gate rejects with GateResolveRefusedError. */
    resolve: (runId: string, gateId: string, options: ResolveGateOptions): Promise<Gate> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.gates.resolve(runId, gateId, options)))
  }

  readonly steps = {
    /**
     * A person's decision on a step parked in manual_review (or failed_retryable): `retry` lets the
     * next invocation run it again, `complete` records `output` as its checkpoint, `fail` fails the run for good.
     */
    resolve: (runId: string, stepId: string, options: ResolveStepOptions): Promise<{ readonly step: Step; readonly run: Run }> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.steps.resolve(runId, stepId, options)))
  }

  /** Writes a durable queued run of `name` (queue `default` unless `options.queue`); a worker (`tide.work`) runs it. */
  enqueue(name: string, options: EnqueueOptions = {}): Promise<Enqueued> {
    return this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.enqueue(name, options)))
  }

  /**
   * Claims runs of the registered workflows from `queues` and runs them, `concurrency` at a time,
   * until `signal` aborts: it then stops claiming, lets runs in progress finish (up to
   * `shutdownGraceMs`) and resolves. A run of a workflow not registered here is failed (and so
   * requeued for a worker that has it).
   */
  work(options: WorkOptions = {}): Promise<void> {
    const { onError, shutdownGraceMs, signal, ...rest } = options
    const others = Worker.forWorkflows({})
    const execute: Worker.Execute<EffectTidebase> = (run, leaseOwner) => {
      const workflow = this.#workflows.get(run.workflowName)
      return workflow === undefined ? others(run, leaseOwner) : this.#runEffect(run.workflowName, { runId: run.id, workerId: leaseOwner }, workflow)
    }
    const worker = Worker.make(execute, {
      ...rest,
      ...(shutdownGraceMs === undefined ? {} : { shutdownGrace: shutdownGraceMs }),
      onError: (cause, run) => Effect.sync(() => onError === undefined ? defaultOnError(cause, run) : onError(Cause.squash(cause), run))
    })
    return this.#runtime.runPromiseExit(Effect.scoped(Effect.zipRight(worker, Effect.never)), signal === undefined ? {} : { signal }).then(
      (exit) => {
        if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) throw Cause.squash(exit.cause)
      }
    )
  }

  readonly queues = {
    /** Every queue with runs or settings: its runs counted by status, and its settings. */
    list: (): Promise<ReadonlyArray<QueueSummary>> => this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.queues.list())),
    /** Sets a queue's concurrency cap, rate limit (per minute) or push URL; null clears one, absent keeps it. */
    configure: (queue: string, settings: QueueSettings): Promise<QueueConfig> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.queues.configure(queue, settings)))
  }

  readonly schedules = {
    /** Creates or changes the schedule `name`: each cron fire time enqueues one run of its workflow. */
    set: (name: string, options: ScheduleOptions): Promise<ScheduleModel> =>
      this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.schedules.set(name, options))),
    list: (): Promise<ReadonlyArray<ScheduleModel>> => this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.schedules.list())),
    /** False when there was no such schedule. */
    delete: (name: string): Promise<boolean> => this.#exec(Effect.flatMap(EffectTidebase, (tide) => tide.schedules.delete(name)))
  }

  /** A `(Request) => Promise<Response>` handler for recovery (`run.resume`) and push (`run.invoke`) webhooks. */
  webhook(options: WebhookOptions = {}): (request: Request) => Promise<Response> {
    return makeWebhookHandler(this.#webhookSecret, ({ leaseOwner, runId, workflowName }) => {
      const workflow = this.#workflows.get(workflowName)
      if (workflow === undefined) return undefined
      return this.run(workflowName, leaseOwner === undefined ? { runId } : { runId, workerId: leaseOwner }, workflow).then(
        () => undefined,
        (error) => console.error(`tidebase: run ${runId} (${workflowName}) failed`, error)
      )
    }, options)
  }

  /** Releases the runtime; pending runs keep their leases until they expire. */
  close(): Promise<void> {
    return this.#runtime.dispose()
  }
}
