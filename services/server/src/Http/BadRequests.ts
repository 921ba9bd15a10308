import { HttpApiBuilder, HttpApiError, HttpServerError } from "@effect/platform"
import { BadRequest, TidebaseApi } from "@tidebase/api"
import { Cause, Effect } from "effect"

/**
 * The one place 400s come from: a request the API could not decode becomes `BadRequest`
 * naming each field, and a body that is not JSON at all (a defect inside the router) a
 * `BadRequest` too, never a 500. The API's error schema then writes the body.
 */
export const BadRequestMiddleware = HttpApiBuilder.middleware(TidebaseApi, (app) =>
  Effect.catchAllCause(app, (cause) => {
    const error = Cause.squash(cause)
    if (error instanceof HttpApiError.HttpApiDecodeError) return Effect.fail(BadRequest.fromIssues(error.issues))
    if (HttpServerError.isServerError(error) && error._tag === "RequestError" && error.reason === "Decode") {
      return Effect.fail(BadRequest.notJson())
    }
    return Effect.failCause(cause)
  }))
