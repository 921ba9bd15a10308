import { NodeHttpClient } from "@effect/platform-node"
import Undici from "@effect/platform-node/Undici"
import type { HttpClient } from "@effect/platform"
import { DirectTransport } from "@tidebase/effect"
import type { DirectAnswer } from "@tidebase/effect"
import { Duration, Effect, Layer } from "effect"

/** The answer's body as JSON, or undefined when it is not JSON (the api client then reads it again, properly). */
const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Through the same keep-alive pool as the `HttpClient`, so a step's requests reuse its connections. */
const directTransport = (dispatcher: Undici.Dispatcher): DirectTransport["Type"] => {
  const exchange = async (options: Undici.Dispatcher.RequestOptions): Promise<DirectAnswer> => {
    const answer = await dispatcher.request(options)
    return { status: answer.statusCode, body: parsed(await answer.body.text()) }
  }
  return {
    postJson: (origin, path, headers, body) => exchange({ origin, path, method: "POST", headers, body }),
    getJson: (origin, path, headers) => exchange({ origin, path, method: "GET", headers })
  }
}

/**
 * undici's keep-alive pool, with every request bounded by `requestTimeout`: no answer begun
 * (headers) or a body idle for that long fails the request. The Effect client asks undici for
 * no timeouts at all, so an interceptor sets them on each dispatch (no timer or fiber of our own).
 * The same pool carries the requests every step and run makes directly (`DirectTransport`).
 */
export const undiciClient = ({ requestTimeout }: { readonly requestTimeout: Duration.Duration }): Layer.Layer<HttpClient.HttpClient | DirectTransport> => {
  const ms = Duration.toMillis(requestTimeout)
  const bounded: Undici.Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) =>
    dispatch({ ...options, headersTimeout: ms, bodyTimeout: ms }, handler)
  const dispatcher = Layer.scoped(
    NodeHttpClient.Dispatcher,
    Effect.acquireRelease(
      Effect.sync(() => new Undici.Agent()),
      (agent) => Effect.promise(() => agent.destroy())
    ).pipe(Effect.map((agent) => agent.compose(bounded)))
  )
  const direct = Layer.effect(DirectTransport, Effect.map(NodeHttpClient.Dispatcher, directTransport))
  return Layer.merge(NodeHttpClient.layerUndiciWithoutDispatcher, direct).pipe(Layer.provide(dispatcher))
}
