import type { HttpClient } from "@effect/platform"
import * as Api from "@tidebase/api"
import type { Event, Gate, QueueConfig, QueueSummary, RecoveryAttempt, Run, RunDetail, RunReplay, ScheduleModel, Step } from "@tidebase/api"
import { newRunId } from "@tidebase/domain"
import { Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { Stream } from "effect"
import type { SubscribeOptions } from "./LiveEvents.js"
import type { ConfigError } from "effect"
import { NoRecoveryWebhookError, RunAlreadyCompletedError } from "./Errors.js"
import type { RunNotFoundError, TidebaseRequestError, WorkflowError } from "./Errors.js"
import { claim, configureQueue, deleteSchedule, enqueue, listQueues, listSchedules, setSchedule } from "./Queues.js"
import type { ClaimOptions, Enqueued, EnqueueOptions, QueueSettings, ScheduleOptions } from "./Queues.js"
import { request } from "./Request.js"
import { resolveGate } from "./ResolveGate.js"
import type { ResolveGateError, ResolveGateOptions } from "./ResolveGate.js"
import { resolveStep } from "./ResolveStep.js"
import type { ResolveStepError, ResolveStepOptions } from "./ResolveStep.js"
import { runWorkflow } from "./Run.js"
import type { BudgetInput, RunOptions } from "./Run.js"
import type { CurrentRun } from "./RunContext.js"
import { TidebaseClient } from "./TidebaseClient.js"
import { TidebaseConfig } from "./TidebaseConfig.js"
import { DEFAULT_REQUEST_TIMEOUT } from "./Transport.js"

export interface CancelRunOptions {
  readonly reason?: string | null
  /** Who is cancelling (recorded on the run and its gates; the server says `api` when not given). */
  readonly actor?: string | null
}

export interface CreateRunOptions {
  readonly runId?: string
  readonly input?: unknown
  readonly metadata?: unknown
  readonly recoveryWebhook?: string | null
  readonly channels?: unknown
  /** Limits on the run's recorded usage (only when this creates the run). */
  readonly budget?: BudgetInput | null
}

export interface ListRunsFilter {
  readonly status?: string
  readonly workflowName?: string
  readonly queue?: string
  /** ISO-8601 bounds on when runs were created. */
  readonly createdAfter?: string
  readonly createdBefore?: string
  /** Runs whose metadata holds each of these fields. */
  readonly metadata?: Record<string, unknown>
  readonly limit?: number
  /** The `next` of a previous page (`runs.page`). */
  readonly cursor?: string
}

/** Where a fork's history ends, and what it changes. */
export interface ForkOptions {
  /** The source's events 1..atSeq (absent, and no `afterStep`: all of them). */
  readonly atSeq?: number
  /** Up to the last completion of this step. */
  readonly afterStep?: string
  readonly runId?: string
  readonly input?: unknown
  readonly workflowName?: string
  /** Outputs replacing those of completed steps of the prefix, by step name. */
  readonly stepOutputs?: Record<string, unknown>
}

export interface TidebaseService {
  /** The client derived from the api package, for routes the SDK does not wrap. */
  readonly client: Context.Tag.Service<TidebaseClient>
  /** Run (or resume, by `runId`) a workflow whose steps are `Workflow.step` Effects. */
  readonly run: <A, E, R>(
    workflowName: string,
    options: RunOptions<A>,
    body: (input: any) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | WorkflowError, Exclude<R, CurrentRun>>
  readonly runs: {
    readonly create: (
      workflowName: string,
      options?: CreateRunOptions
    ) => Effect.Effect<{ readonly run: Run; readonly created: boolean }, TidebaseRequestError>
    readonly get: (runId: string) => Effect.Effect<RunDetail, RunNotFoundError | TidebaseRequestError>
    readonly list: (filter?: ListRunsFilter) => Effect.Effect<ReadonlyArray<Run>, TidebaseRequestError>
    /** One page of runs, newest first, and the cursor of the next page (null on the last). */
    readonly page: (filter?: ListRunsFilter) => Effect.Effect<{ readonly runs: ReadonlyArray<Run>; readonly next: string | null }, TidebaseRequestError>
    /** The run as of its event `seq` (its latest when omitted), folded from its event log. */
    readonly replay: (runId: string, options?: { readonly seq?: number }) => Effect.Effect<RunReplay, RunNotFoundError | TidebaseRequestError>
    /** A new run whose history is the source's up to a point: invoked, it replays that prefix and executes the rest. */
    readonly fork: (
      runId: string,
      options?: ForkOptions
    ) => Effect.Effect<{ readonly run: Run; readonly forkedAtSeq: number; readonly steps: ReadonlyArray<Step> }, RunNotFoundError | TidebaseRequestError>
    /**
     * Sets, changes or (null) clears the run's budget. A run stopped by its budget resumes once it
     * is raised and the run is re-invoked.
     */
    readonly setBudget: (runId: string, budget: BudgetInput | null) => Effect.Effect<Run, RunNotFoundError | TidebaseRequestError>
    /**
     * Stops the run for good: its next step or gate boundary ends it with `RunCancelledError`, its
     * pending gates resolve `canceled`. Cancelling a cancelled run changes nothing.
     */
    readonly cancel: (
      runId: string,
      options?: CancelRunOptions
    ) => Effect.Effect<Run, RunNotFoundError | RunAlreadyCompletedError | TidebaseRequestError>
    /** Sends the run's recovery webhook a `run.resume` now (through the outbox: retried, every try recorded). */
    readonly recover: (
      runId: string,
      options?: { readonly reason?: string | null }
    ) => Effect.Effect<RecoveryAttempt, RunNotFoundError | NoRecoveryWebhookError | TidebaseRequestError>
  }
  readonly events: {
    /**
     * The events of one run (cursor: seq) or of every run (`"all"`, cursor: position), history after
     * `after` then live, reconnecting after the last event seen when the connection drops.
     */
    readonly subscribe: (target: string, options?: SubscribeOptions) => Stream.Stream<Event>
  }
  readonly gates: {
    /** Decides a gate, exactly once: a second decision, a wrong token or an unknown gate is `GateResolveRefusedError`. */
    readonly resolve: (runId: string, gateId: string, options: ResolveGateOptions) => Effect.Effect<Gate, ResolveGateError>
  }
  /** Writes a durable queued run of `workflowName`; a worker (`Worker`, `tide.work`) claims and runs it. */
  readonly enqueue: (workflowName: string, options?: EnqueueOptions) => Effect.Effect<Enqueued, TidebaseRequestError>
  readonly queues: {
    /** Claims ready runs, leased to `leaseOwner`; `waitMs` long-polls when none is ready. */
    readonly claim: (
      queues: ReadonlyArray<string>,
      options?: ClaimOptions
    ) => Effect.Effect<{ readonly runs: ReadonlyArray<Run>; readonly leaseOwner: string }, TidebaseRequestError>
    readonly list: () => Effect.Effect<ReadonlyArray<QueueSummary>, TidebaseRequestError>
    /** Changes a queue's concurrency cap, rate limit or push URL (null clears one; absent keeps it). */
    readonly configure: (queue: string, settings: QueueSettings) => Effect.Effect<QueueConfig, TidebaseRequestError>
  }
  readonly schedules: {
    /** Creates or changes the schedule `name`: each fire time enqueues one run of its workflow. */
    readonly set: (name: string, options: ScheduleOptions) => Effect.Effect<ScheduleModel, TidebaseRequestError>
    readonly list: () => Effect.Effect<ReadonlyArray<ScheduleModel>, TidebaseRequestError>
    /** False when there was no such schedule. */
    readonly delete: (name: string) => Effect.Effect<boolean, TidebaseRequestError>
  }
  readonly steps: {
    /** A person's decision on a step parked in manual_review (or failed_retryable): retry, complete with `output`, or fail the run. */
    readonly resolve: (
      runId: string,
      stepId: string,
      options: ResolveStepOptions
    ) => Effect.Effect<{ readonly step: Step; readonly run: Run }, ResolveStepError>
  }
}

const listPage = (client: Context.Tag.Service<TidebaseClient>, { metadata, ...filter }: ListRunsFilter) =>
  request(client.runs.list({ urlParams: metadata === undefined ? filter : { ...filter, metadata: JSON.stringify(metadata) } }), { runId: "" })

/** The service over a client; `workerId` names this worker's leases unless a run names its own. */
const make = (workerId: string | undefined = undefined) => Effect.map(TidebaseClient, (client): TidebaseService => ({
  client,
  run: (workflowName, options, body) =>
    runWorkflow(client, workflowName, options.workerId === undefined ? { ...options, workerId } : options, body),
  runs: {
    create: (workflowName, options = {}) => {
      // An id made here, when none is given, keeps a create retried after a lost answer to one run.
      const runId = options.runId ?? newRunId()
      return request(client.runs.create({ path: { workflowName }, payload: { ...options, runId } }), { runId })
    },
    get: (runId) => request(client.runs.get({ path: { runId } }), { runId }),
    list: (filter = {}) => Effect.map(listPage(client, filter), ({ runs }) => runs),
    page: (filter = {}) => listPage(client, filter),
    replay: (runId, options = {}) => request(client.replay.replay({ path: { runId }, urlParams: options }), { runId }),
    fork: (runId, options = {}) =>
      client.replay.fork({ path: { runId }, payload: options }).pipe(
        Effect.catchTag("ChildRunIdTaken", (e) => Effect.fail(Api.BadRequest.fromIssues([{ path: ["runId"], message: e.error }]))),
        (effect) => request(effect, { runId })
      ),
    setBudget: (runId, budget) =>
      Effect.map(request(client.runs.update({ path: { runId }, payload: { budget } }), { runId }), ({ run }) => run),
    recover: (runId, options = {}) =>
      client.runs.recover({ path: { runId }, payload: { reason: options.reason ?? null } }).pipe(
        Effect.catchTag("NoRecoveryWebhook", () => Effect.fail(new NoRecoveryWebhookError({ runId }))),
        (effect) => request(effect, { runId }),
        Effect.map(({ recoveryAttempt }) => recoveryAttempt)
      ),
    cancel: (runId, options = {}) =>
      client.runs.cancel({ path: { runId }, payload: { reason: options.reason ?? null, actor: options.actor ?? null } }).pipe(
        Effect.catchTag("RunAlreadyCompleted", (e) => Effect.fail(new RunAlreadyCompletedError({ runId, run: e.run }))),
        (effect) => request(effect, { runId }),
        Effect.map(({ run }) => run)
      )
  },
  events: {
    subscribe: (target, options) => client.live.subscribe(target, options)
  },
  gates: {
    resolve: (runId, gateId, options) => resolveGate(client, runId, gateId, options)
  },
  enqueue: (workflowName, options) => enqueue(client, workflowName, options),
  queues: {
    claim: (queues, options) => claim(client, queues, options),
    list: () => listQueues(client),
    configure: (queue, settings) => configureQueue(client, queue, settings)
  },
  schedules: {
    set: (name, options) => setSchedule(client, name, options),
    list: () => listSchedules(client),
    delete: (name) => deleteSchedule(client, name)
  },
  steps: {
    resolve: (runId, stepId, options) => resolveStep(client, runId, stepId, options)
  }
}))

/** Where the server is: anything not given here comes from `TIDEBASE_URL` / `TIDEBASE_API_KEY`. */
export interface ConnectionOptions {
  readonly url?: string | undefined
  readonly apiKey?: string | undefined
  /** This worker's stable lease owner name (default `TIDEBASE_WORKER_ID`; see `RunOptions.workerId`). */
  readonly workerId?: string | undefined
  /**
   * How long a request that failed to connect or got a 502/503/504 is retried, with jittered
   * backoff (default `TIDEBASE_RETRY_TRANSPORT_FOR_MS`, else 30 seconds; 0 turns retries off).
   */
  readonly retryTransportFor?: Duration.DurationInput | undefined
  /** How long a request may wait for its answer to begin (default `TIDEBASE_REQUEST_TIMEOUT_MS`, else 60 seconds). */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /**
   * The HTTP client underneath; `fetch` (bounded by `requestTimeout`) unless given. On Node,
   * `NodeHttpClient.layerUndici` costs less CPU per call. A function receives the resolved
   * `requestTimeout`, for a client that applies it itself.
   */
  readonly httpClient?:
    | Layer.Layer<HttpClient.HttpClient>
    | ((settings: { readonly requestTimeout: Duration.Duration }) => Layer.Layer<HttpClient.HttpClient>)
    | undefined
}

const decodeOr = (input: Duration.DurationInput | undefined, fallback: Duration.Duration | undefined) =>
  input === undefined ? fallback : Duration.decode(input)

const serviceLayer = (options: ConnectionOptions) =>
  Layer.unwrapEffect(Effect.map(TidebaseConfig, (env) =>
    Layer.effect(Tidebase, make(options.workerId ?? Option.getOrUndefined(env.workerId))).pipe(
      Layer.provide(clientLayer(options, env))
    )))

const clientLayer = (options: ConnectionOptions, env: TidebaseConfig) => {
  const retryTransportFor = decodeOr(options.retryTransportFor, env.retryTransportFor)
  const requestTimeout = decodeOr(options.requestTimeout, env.requestTimeout) ?? DEFAULT_REQUEST_TIMEOUT
  const config: TidebaseConfig = {
    ...env,
    url: options.url ?? env.url,
    apiKey: options.apiKey === undefined ? env.apiKey : Option.some(Redacted.make(options.apiKey)),
    requestTimeout,
    ...(retryTransportFor === undefined ? {} : { retryTransportFor })
  }
  const httpClient = typeof options.httpClient === "function" ? options.httpClient({ requestTimeout }) : options.httpClient
  return TidebaseClient.layer(config, httpClient)
}

export class Tidebase extends Context.Tag("@tidebase/effect/Tidebase")<Tidebase, TidebaseService>() {
  static readonly make = make
  static readonly layer = (options: ConnectionOptions = {}): Layer.Layer<Tidebase, ConfigError.ConfigError> =>
    serviceLayer(options)
  /** Configured from the environment alone. */
  static readonly Default = Tidebase.layer()
}
