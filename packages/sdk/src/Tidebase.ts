import type { Gate, RecoveryAttempt, Run, RunDetail, Step } from "@tidebase/api"
import { CurrentRun, Tidebase as EffectTidebase } from "@tidebase/effect"
import type { BudgetInput, CancelRunOptions, ListRunsFilter, ResolveGateOptions, ResolveStepOptions } from "@tidebase/effect"
import { Cause, Effect, Exit, ManagedRuntime } from "effect"
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
    const { stateSchema, ...runOptions } = options
    return this.#exec(Effect.flatMap(EffectTidebase, (tide) =>
      tide.run(name, runOptions, (input: I) =>
        Effect.flatMap(CurrentRun, (context) =>
          Effect.tryPromise({
            // `signal` aborts when the run's fiber is interrupted (a cancel): the steps in flight stop with it.
            try: (signal): Promise<A> =>
              outsideSteps(async () => await workflow(makeWorkflowRun<I, S>(context, stateSchema, this.#runChildHere, signal), input)),
            catch: (error) => error
          })))))
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

  /** A `(Request) => Promise<Response>` handler for recovery (`run.resume`) and push (`run.invoke`) webhooks. */
  webhook(options: WebhookOptions = {}): (request: Request) => Promise<Response> {
    return makeWebhookHandler(this.#webhookSecret, ({ runId, workflowName }) => {
      const workflow = this.#workflows.get(workflowName)
      if (workflow === undefined) return undefined
      return this.run(workflowName, { runId }, workflow).then(
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
