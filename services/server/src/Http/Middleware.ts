import { Headers, HttpApiBuilder, HttpApiError, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import type { BadRequest } from "@tidebase/api"
import { Cause, Effect, Option } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"

const describeIssues = (issues: ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly message: string }>) =>
  issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }))

const badRequest = (error: string, issues: BadRequest["issues"]) =>
  HttpServerResponse.json(
    { _tag: "BadRequest", error, code: "bad_request", issues },
    { status: 400 }
  ).pipe(Effect.orDie)

/**
 * Turns a request the API could not decode into the wire's `400 {error, issues}`, naming
 * each field; a body that is not JSON at all is a 400 too, never a 500.
 */
export const BadRequestMiddleware = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(app, (cause) => {
    const error = Cause.squash(cause)
    if (error instanceof HttpApiError.HttpApiDecodeError) {
      const issues = describeIssues(error.issues)
      const fields = issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")
      return badRequest(`invalid request: ${fields}`, issues)
    }
    if (HttpServerError.isServerError(error) && error._tag === "RequestError" && error.reason === "Decode") {
      return badRequest("request body is not valid JSON", [])
    }
    return Effect.failCause(cause)
  })
)

const digest = (value: string) => createHash("sha256").update(value).digest()
const sameSecret = (given: string, expected: Buffer) => timingSafeEqual(digest(given), expected)

const bearer = (header: string | undefined) => {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "")
  return match?.[1]?.trim()
}

/**
 * Opt-in bearer auth: every route but `/health`; `?token=` only where browsers cannot set
 * headers (EventSource on the SSE route). Digests make the compare length-independent.
 */
export const authMiddleware = (apiKey: Option.Option<string>) => {
  if (Option.isNone(apiKey)) return <E, R>(app: HttpApp.Default<E, R>) => app
  const expected = digest(apiKey.value)
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://localhost")
      if (url.pathname === "/health" || request.method === "OPTIONS") return yield* app
      const token = bearer(request.headers["authorization"]) ??
        (/^\/runs\/[^/]+\/events$/.test(url.pathname) ? url.searchParams.get("token") ?? undefined : undefined)
      if (token !== undefined && sameSecret(token, expected)) return yield* app
      return yield* HttpServerResponse.json(
        { _tag: "Unauthorized", error: "missing or invalid API key", code: "unauthorized" },
        { status: 401 }
      ).pipe(Effect.orDie)
    })
}

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
