import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { TidebaseApi } from "@tidebase/api"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { DirectTransport } from "./DirectTransport.js"
import { directCalls } from "./DirectCalls.js"
import type { DirectClient } from "./DirectCalls.js"
import { followEvents, subscribeEvents } from "./LiveEvents.js"
import { TidebaseConfig } from "./TidebaseConfig.js"
import { DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TRANSPORT_FOR, fetchLayer, noteAnswers, retryTransport } from "./Transport.js"

/**
 * No span per wire call: building one (URL, headers, trace-context headers) is a measurable
 * share of a step's client CPU, and the calls are the SDK's plumbing, not the user's work.
 */
const withoutSpans = HttpClient.withTracerDisabledWhen(() => true)

const make = (config: TidebaseConfig) =>
  Effect.gen(function*() {
    const baseUrl = config.url.replace(/\/+$/, "")
    const retrying = retryTransport(baseUrl, config.retryTransportFor ?? DEFAULT_RETRY_TRANSPORT_FOR)
    const authorized = Option.match(config.apiKey, {
      onNone: () => (client: HttpClient.HttpClient) => withoutSpans(client),
      onSome: (key) => (client: HttpClient.HttpClient) =>
        withoutSpans(HttpClient.mapRequest(client, HttpClientRequest.bearerToken(Redacted.value(key))))
    })
    const api = yield* HttpApiClient.make(TidebaseApi, {
      baseUrl,
      transformClient: (client) => retrying(authorized(client)),
      transformResponse: noteAnswers(baseUrl, Option.isSome(config.apiKey))
    })
    /** The run's live event stream, which the api client cannot read (it is not one JSON answer). */
    const http = authorized(yield* HttpClient.HttpClient)
    const live = { follow: followEvents(http, baseUrl), subscribe: subscribeEvents(http, baseUrl) }
    const direct = yield* Effect.serviceOption(DirectTransport)
    if (Option.isNone(direct)) return { ...api, live }
    const calls = directCalls(api as unknown as DirectClient, direct.value, baseUrl, Option.getOrUndefined(Option.map(config.apiKey, Redacted.value)))
    // Same signatures as the api client's calls: only how the request travels differs.
    return {
      ...api,
      steps: { ...api.steps, ...calls.steps } as unknown as typeof api.steps,
      runs: { ...api.runs, ...calls.runs } as unknown as typeof api.runs,
      live
    }
  })

/** The HTTP client derived from the api package: every route, payload and error from one contract. */
export class TidebaseClient extends Context.Tag("@tidebase/effect/TidebaseClient")<
  TidebaseClient,
  Effect.Effect.Success<ReturnType<typeof make>>
>() {
  /**
   * Over `fetch` by default (Node 20+, browsers, edge runtimes), bounded by `requestTimeout`; any
   * `HttpClient` layer can replace it (its own timeouts then apply). Either way, requests that
   * fail to connect or meet a 502/503/504 are retried for `retryTransportFor`. A layer that also
   * provides `DirectTransport` carries the requests every step and run makes (see `DirectCalls.ts`).
   */
  static readonly layer = (
    config: TidebaseConfig,
    httpClient: Layer.Layer<HttpClient.HttpClient> = fetchLayer(config.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT)
  ): Layer.Layer<TidebaseClient> => Layer.effect(TidebaseClient, make(config)).pipe(Layer.provide(httpClient))

  /** Configured from `TIDEBASE_URL` and `TIDEBASE_API_KEY`. */
  static readonly layerConfig = Layer.unwrapEffect(Effect.map(TidebaseConfig, TidebaseClient.layer))
}
