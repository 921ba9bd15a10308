import { Headers, HttpServerRequest } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { Effect } from "effect"

/** Client mistakes are answered, not logged; a defect is a bug and gets its cause logged. */
export const logDefects = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.tapDefect(app, (cause) => Effect.logError("request failed", cause))

/** Every body on this API is JSON; a client that forgot the header (curl -d) is read as JSON too. */
export const jsonBodies = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const type = request.headers["content-type"]
    if (type !== undefined && !type.startsWith("application/x-www-form-urlencoded")) return app
    return Effect.provideService(
      app,
      HttpServerRequest.HttpServerRequest,
      request.modify({ headers: Headers.set(request.headers, "content-type", "application/json") })
    )
  })
