import { Headers, HttpMethod, HttpServerError, HttpServerRequest } from "@effect/platform"
import { BadRequest, jsonRefusal, UnsupportedMediaType } from "@tidebase/api"
import { Effect } from "effect"

/**
 * The content types read as JSON: v0.6 clients send `application/json`; a client that sends
 * none, or curl's `-d` default (form-urlencoded), means JSON too.
 */
export const readsAsJson = (contentType: string) => {
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase()
  return type === "" || type === "application/json" || type.endsWith("+json") || type === "application/x-www-form-urlencoded"
}

/** A body the server will not read: the router sees a decode failure carrying the wire error to answer. */
export const isBodyRefusal = (u: unknown): u is BadRequest | UnsupportedMediaType =>
  u instanceof BadRequest || u instanceof UnsupportedMediaType

/**
 * Every body on this API is JSON, read once. The request the router sees has its body
 * parsed here, and refuses what the server would drop or could not store: a body in a
 * type it does not parse (415; an empty body is no body, whatever its type), text Postgres
 * cannot hold, a non-finite number, nesting past the limit (400 naming the field). Only a
 * route with a payload reads the body, so a route miss stays a 404.
 */
export const jsonRequest = (request: HttpServerRequest.HttpServerRequest): HttpServerRequest.HttpServerRequest => {
  if (!HttpMethod.hasBody(request.method)) return request
  const contentType = request.headers["content-type"] ?? ""
  const refuse = (cause: BadRequest | UnsupportedMediaType) =>
    Effect.fail(new HttpServerError.RequestError({ request, reason: "Decode", cause }))
  const json = Effect.flatMap(request.text, (text) => {
    if (text.trim() === "") return Effect.succeed(null)
    if (!readsAsJson(contentType)) return refuse(UnsupportedMediaType.of(contentType))
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return refuse(BadRequest.notJson())
    }
    const issue = jsonRefusal(value)
    return issue === undefined ? Effect.succeed(value) : refuse(BadRequest.fromIssues([issue]))
  })
  // The platform reads a body by its content type; as JSON it reads `json`, which is this one.
  return Object.create(request, {
    headers: { value: Headers.set(request.headers, "content-type", "application/json") },
    json: { value: json }
  })
}
