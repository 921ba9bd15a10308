import { NodeHttpClient } from "@effect/platform-node"
import Undici from "@effect/platform-node/Undici"
import type { HttpClient } from "@effect/platform"
import { Duration, Effect, Layer } from "effect"

/**
 * undici's keep-alive pool, with every request bounded by `requestTimeout`: no answer begun
 * (headers) or a body idle for that long fails the request. The Effect client asks undici for
 * no timeouts at all, so an interceptor sets them on each dispatch (no timer or fiber of our own).
 */
export const undiciClient = ({ requestTimeout }: { readonly requestTimeout: Duration.Duration }): Layer.Layer<HttpClient.HttpClient> => {
  const ms = Duration.toMillis(requestTimeout)
  const bounded: Undici.Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) =>
    dispatch({ ...options, headersTimeout: ms, bodyTimeout: ms }, handler)
  const dispatcher = Effect.acquireRelease(
    Effect.sync(() => new Undici.Agent()),
    (agent) => Effect.promise(() => agent.destroy())
  ).pipe(Effect.map((agent) => agent.compose(bounded)))
  return NodeHttpClient.layerUndiciWithoutDispatcher.pipe(Layer.provide(Layer.scoped(NodeHttpClient.Dispatcher, dispatcher)))
}
