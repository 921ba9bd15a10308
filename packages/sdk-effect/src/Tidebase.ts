import type { HttpClient } from "@effect/platform"
import type { Run, RunDetail } from "@tidebase/api"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { ConfigError } from "effect"
import type { RunNotFoundError, TidebaseRequestError, WorkflowError } from "./Errors.js"
import { request } from "./Request.js"
import { runWorkflow } from "./Run.js"
import type { RunOptions } from "./Run.js"
import type { CurrentRun } from "./RunContext.js"
import { TidebaseClient } from "./TidebaseClient.js"
import { TidebaseConfig } from "./TidebaseConfig.js"

export interface CreateRunOptions {
  readonly runId?: string
  readonly input?: unknown
  readonly metadata?: unknown
  readonly recoveryWebhook?: string | null
  readonly channels?: unknown
}

export interface ListRunsFilter {
  readonly status?: string
  readonly workflowName?: string
  readonly limit?: number
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
  }
}

const make = Effect.map(TidebaseClient, (client): TidebaseService => ({
  client,
  run: (workflowName, options, body) => runWorkflow(client, workflowName, options, body),
  runs: {
    create: (workflowName, options = {}) =>
      request(client.runs.create({ path: { workflowName }, payload: options }), { runId: options.runId ?? "" }),
    get: (runId) => request(client.runs.get({ path: { runId } }), { runId }),
    list: (filter = {}) =>
      Effect.map(request(client.runs.list({ urlParams: filter }), { runId: "" }), ({ runs }) => runs)
  }
}))

/** Where the server is: anything not given here comes from `TIDEBASE_URL` / `TIDEBASE_API_KEY`. */
export interface ConnectionOptions {
  readonly url?: string | undefined
  readonly apiKey?: string | undefined
  /** The HTTP client underneath; `fetch` unless given (on Node, `NodeHttpClient.layerUndici` costs less CPU per call). */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
}

const clientLayer = (options: ConnectionOptions) =>
  Layer.unwrapEffect(Effect.map(TidebaseConfig, (env) =>
    TidebaseClient.layer({
      url: options.url ?? env.url,
      apiKey: options.apiKey === undefined ? env.apiKey : Option.some(Redacted.make(options.apiKey))
    }, options.httpClient)))

export class Tidebase extends Context.Tag("@tidebase/effect/Tidebase")<Tidebase, TidebaseService>() {
  static readonly make = make
  static readonly layer = (options: ConnectionOptions = {}): Layer.Layer<Tidebase, ConfigError.ConfigError> =>
    Layer.effect(Tidebase, make).pipe(Layer.provide(clientLayer(options)))
  /** Configured from the environment alone. */
  static readonly Default = Tidebase.layer()
}
