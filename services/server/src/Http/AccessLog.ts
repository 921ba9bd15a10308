import { HttpApp, HttpServerRequest } from "@effect/platform"
import type { HttpServerResponse } from "@effect/platform"
import { Effect, Exit } from "effect"
import type { LogFormat } from "./Logging.js"

/** The path without its query: `?token=` may carry the API key. */
export const pathOf = (url: string) => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

/** Lines waiting for the next flush: one write per turn of the event loop, not one syscall per request (stdout to a pipe is synchronous). */
let pending: Array<string> = []

const flush = () => {
  const lines = pending
  pending = []
  process.stdout.write(lines.join(""))
}

export type AccessLine = (method: string, path: string, status: number, ms: number, event?: "open" | "close") => void

/**
 * The access log bypasses Effect's logger (its fiber-ref lookups and annotation maps cost a
 * measurable share of a checkpoint request) but writes the same lines the process logger does.
 */
export const accessLine = (format: LogFormat): AccessLine => (method, path, status, ms, event) => {
  const msg = `${method} ${path} ${status}${event === undefined ? "" : ` ${event}`} ${ms}ms`
  const time = new Date().toISOString()
  const text = format === "json"
    ? JSON.stringify(event === undefined
      ? { time, level: "INFO", msg, method, path, status, ms }
      : { time, level: "INFO", msg, method, path, status, ms, event })
    : `${time} INFO  ${msg}`
  if (pending.length === 0) setImmediate(flush)
  pending.push(text + "\n")
}

/**
 * One line per request once its answer is written: method, path, status, milliseconds. An
 * event stream gets a line when it opens and another when it closes. A client that goes
 * away before any answer is logged as 499.
 */
/** An event stream (SSE), as opposed to a body that is merely written in pieces. */
const isEventStream = (response: HttpServerResponse.HttpServerResponse | undefined) =>
  response?.body._tag === "Stream" && response.body.contentType.startsWith("text/event-stream")

export const accessLog = (format: LogFormat) => <E, R>(app: HttpApp.Default<E, R>) => {
  const write = accessLine(format)
  const line = (method: string, path: string, status: number, ms: number, event?: "open" | "close") =>
    Effect.sync(() => write(method, path, status, ms, event))
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    const path = pathOf(request.url)
    let sent: HttpServerResponse.HttpServerResponse | undefined
    // Called again with the same response when a stream ends in an interruption: one open line.
    const onResponse: HttpApp.PreResponseHandler = (_, response) => {
      const first = sent === undefined
      sent = response
      return first && isEventStream(response)
        ? Effect.as(line(request.method, path, response.status, elapsed(), "open"), response)
        : Effect.succeed(response)
    }
    return HttpApp.withPreResponseHandler(app, onResponse).pipe(
      Effect.onExit((exit) => {
        const response = sent ?? (Exit.isSuccess(exit) ? exit.value : undefined)
        const status = response?.status ?? 499
        return line(request.method, path, status, elapsed(), isEventStream(response) ? "close" : undefined)
      })
    )
  })
}
