import { HttpApp, HttpServerRequest } from "@effect/platform"
import type { HttpServerResponse } from "@effect/platform"
import { Effect, Exit } from "effect"

/** The path without its query: `?token=` may carry the API key. */
export const pathOf = (url: string) => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

const line = (method: string, path: string, status: number, ms: number, event?: "open" | "close") =>
  Effect.logInfo(`${method} ${path} ${status}${event === undefined ? "" : ` ${event}`} ${ms}ms`).pipe(
    Effect.annotateLogs(event === undefined ? { method, path, status, ms } : { method, path, status, ms, event })
  )

/**
 * One line per request once its answer is written: method, path, status, milliseconds. An
 * event stream gets a line when it opens and another when it closes. A client that goes
 * away before any answer is logged as 499.
 */
export const accessLog = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    const path = pathOf(request.url)
    let sent: HttpServerResponse.HttpServerResponse | undefined
    // Called again with the same response when a stream ends in an interruption: one open line.
    const onResponse: HttpApp.PreResponseHandler = (_, response) => {
      const first = sent === undefined
      sent = response
      return first && response.body._tag === "Stream"
        ? Effect.as(line(request.method, path, response.status, elapsed(), "open"), response)
        : Effect.succeed(response)
    }
    return HttpApp.withPreResponseHandler(app, onResponse).pipe(
      Effect.onExit((exit) => {
        const response = sent ?? (Exit.isSuccess(exit) ? exit.value : undefined)
        const status = response?.status ?? 499
        return line(request.method, path, status, elapsed(), response?.body._tag === "Stream" ? "close" : undefined)
      })
    )
  })
