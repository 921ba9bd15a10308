import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { TidebaseApi } from "@tidebase/api"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { TidebaseConfig } from "./TidebaseConfig.js"

/**
 * No span per wire call: building one (URL, headers, trace-context headers) is a measurable
 * share of a step's client CPU, and the calls are the SDK's plumbing, not the user's work.
 */
const withoutSpans = HttpClient.withTracerDisabledWhen(() => true)

const make = (config: TidebaseConfig) =>
  HttpApiClient.make(TidebaseApi, {
    baseUrl: config.url.replace(/\/+$/, ""),
    transformClient: Option.match(config.apiKey, {
      onNone: () => withoutSpans,
      onSome: (key) => (client: HttpClient.HttpClient) =>
        withoutSpans(HttpClient.mapRequest(client, HttpClientRequest.bearerToken(Redacted.value(key))))
    })
  })

/** The HTTP client derived from the api package: every route, payload and error from one contract. */
export class TidebaseClient extends Context.Tag("@tidebase/effect/TidebaseClient")<
  TidebaseClient,
  Effect.Effect.Success<ReturnType<typeof make>>
>() {
  /** Over `fetch` by default (Node 20+, browsers, edge runtimes); any `HttpClient` layer can replace it. */
  static readonly layer = (
    config: TidebaseConfig,
    httpClient: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer
  ): Layer.Layer<TidebaseClient> => Layer.effect(TidebaseClient, make(config)).pipe(Layer.provide(httpClient))

  /** Configured from `TIDEBASE_URL` and `TIDEBASE_API_KEY`. */
  static readonly layerConfig = Layer.unwrapEffect(Effect.map(TidebaseConfig, TidebaseClient.layer))
}
