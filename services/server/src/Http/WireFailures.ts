import { HttpApiBuilder, HttpApiError, HttpApiSchema, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { BadRequest, InternalError, NotFound, TidebaseApi, UnsupportedMediaType } from "@tidebase/api"
import { Cause, Effect, Predicate, Schema, SchemaAST } from "effect"
import { pathOf } from "./AccessLog.js"
import { isBodyRefusal, jsonRequest } from "./JsonBodies.js"

/** An error the api package declares (it carries its status): the API's error schema writes its body. */
const isWireError = (u: unknown) => {
  if (!Predicate.isObject(u) || !Schema.isSchema(u.constructor)) return false
  const ast = u.constructor.ast
  return HttpApiSchema.AnnotationStatus in (SchemaAST.isTransformation(ast) ? { ...ast.to.annotations, ...ast.annotations } : ast.annotations)
}

/**
 * Answers no endpoint declares (so the clients derived from the API keep their error types):
 * written here, in the same `{_tag, error, code}` shape as the declared ones.
 */
const encodeUndeclared = Schema.encodeSync(Schema.Union(NotFound, UnsupportedMediaType, InternalError))
const answer = (error: NotFound | UnsupportedMediaType | InternalError) =>
  HttpServerResponse.unsafeJson(encodeUndeclared(error), {
    status: HttpApiSchema.getStatusError(
      error instanceof NotFound ? NotFound : error instanceof UnsupportedMediaType ? UnsupportedMediaType : InternalError
    )
  })

const unreadable = (cause: unknown) =>
  new BadRequest({
    error: cause instanceof Error && cause.message === "maxBytes exceeded"
      ? "request body is larger than 10 MB"
      : "request body is not valid JSON",
    issues: []
  })

/**
 * Every answer is `{error, code}`. Around the router: the body is read as JSON (see
 * `jsonRequest`); a request the API could not decode is a `BadRequest` naming each field; a
 * route miss a `NotFound`; anything else that is not a declared wire error is a bug, logged
 * once with the request's method and path, and answered `InternalError`.
 */
export const WireFailuresMiddleware = HttpApiBuilder.middleware(TidebaseApi, (app) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.provideService(app, HttpServerRequest.HttpServerRequest, jsonRequest(request)).pipe(
      Effect.catchAllCause((cause): HttpApp.Default<BadRequest> => {
        if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
        const error = Cause.squash(cause)
        if (error instanceof HttpApiError.HttpApiDecodeError) return Effect.fail(BadRequest.fromIssues(error.issues))
        if (HttpServerError.isServerError(error)) {
          if (error._tag === "RouteNotFound") return Effect.succeed(answer(NotFound.route(request.method, pathOf(request.url))))
          if (error._tag === "RequestError") {
            const refusal = isBodyRefusal(error.cause) ? error.cause : unreadable(error.cause)
            return refusal instanceof UnsupportedMediaType ? Effect.succeed(answer(refusal)) : Effect.fail(refusal)
          }
        }
        if (isWireError(error)) return Effect.failCause(cause)
        return Effect.logError(`${request.method} ${pathOf(request.url)} failed`, cause).pipe(
          Effect.annotateLogs({ method: request.method, path: pathOf(request.url) }),
          Effect.as(answer(new InternalError()))
        )
      })
    )))
