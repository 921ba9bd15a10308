import { HttpApiSchema } from "@effect/platform"
import type { HttpApiEndpoint } from "@effect/platform"
import { BadRequest, InternalError, jsonRefusal, Unauthorized } from "@tidebase/api"
import { Cause, Effect, Either, Exit, Option, ParseResult, Runtime, Schema } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import { pathOf } from "./AccessLog.js"
import type { AccessLine } from "./AccessLog.js"
import { readsAsJson } from "./JsonBodies.js"

/** A route the lean router serves: the endpoint whose schemas it uses, and the handler the `HttpApi` group shares. */
export interface LeanRoute {
  readonly endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
  readonly handle: (request: never) => Effect.Effect<unknown, unknown>
}

/** The handler's types are checked where the `HttpApi` group registers it for the same endpoint. */
export const leanRoute = (
  endpoint: HttpApiEndpoint.HttpApiEndpoint.Any | undefined,
  handle: (request: never) => Effect.Effect<unknown, unknown>
): LeanRoute => ({ endpoint: endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps, handle })

export interface LeanRouterOptions {
  readonly routes: ReadonlyArray<LeanRoute>
  /** Synchronous: a fiber per request only to compare a key would cost more than the compare. */
  readonly authorized: (token: string) => boolean
  readonly accessLine: AccessLine | undefined
  readonly runtime: Runtime.Runtime<never>
}

/** `true` when it answered the request; `false` leaves it, untouched, to the `HttpApi` app. */
export type LeanHandler = (request: IncomingMessage, response: ServerResponse) => boolean

const BEARER = "Bearer ".length

interface CompiledRoute {
  readonly method: string
  readonly segments: ReadonlyArray<string>
  readonly decodePath: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
  /** Undefined for an endpoint that declares no headers: its handler is not given any. */
  readonly decodeHeaders: ((u: unknown) => Either.Either<unknown, ParseResult.ParseError>) | undefined
  readonly decodePayload: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly encodeSuccess: (a: unknown) => Either.Either<unknown, ParseResult.ParseError>
  readonly successStatus: number
  readonly handle: LeanRoute["handle"]
}

const compile = (route: LeanRoute): CompiledRoute => {
  const endpoint = route.endpoint
  const success = endpoint.successSchema as Schema.Schema<unknown, unknown>
  return {
    method: endpoint.method,
    segments: endpoint.path.split("/"),
    decodePath: Option.match(endpoint.pathSchema, {
      onNone: () => () => Either.right({}),
      onSome: (schema) => Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
    }),
    decodeHeaders: Option.match(endpoint.headersSchema, {
      onNone: () => undefined,
      onSome: (schema) => Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
    }),
    decodePayload: Schema.decodeUnknownEither(Option.getOrThrow(endpoint.payloadSchema) as Schema.Schema<unknown, unknown>),
    encodeSuccess: Schema.encodeEither(success),
    successStatus: HttpApiSchema.getStatusSuccessAST(success.ast),
    handle: route.handle
  }
}

/** The route's path parameters, or undefined when the path is not the route's. */
const matchPath = (segments: ReadonlyArray<string>, path: string): Record<string, string> | undefined => {
  const given = path.split("/")
  if (given.length !== segments.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (segment.startsWith(":")) {
      const value = given[i]!
      if (value === "" || value.includes("%")) return undefined
      params[segment.slice(1)] = value
    } else if (segment !== given[i]) return undefined
  }
  return params
}

const decodeIssues = (error: ParseResult.ParseError) => BadRequest.fromIssues(ParseResult.ArrayFormatter.formatErrorSync(error))

/** A wire error's class is its schema, annotated with its status. */
const schemaOf = (error: object) => error.constructor as unknown as Schema.Schema<unknown, unknown>

const errorStatus = (error: object) => HttpApiSchema.getStatusErrorAST(schemaOf(error).ast)

const encodeError = (error: object) => Schema.encodeSync(schemaOf(error))(error)

/**
 * The requests a worker makes for every step and every run, served straight from node's request:
 * the same endpoint schemas decode and encode, the same handlers decide and the same wire
 * errors answer as through the `HttpApi` router, without its per-request middleware, routing
 * and response machinery. Anything it does not recognise before reading the body (another
 * path, a body type that is not JSON, a percent-encoded id) goes to the `HttpApi` app untouched.
 */
export const leanRouter = (options: LeanRouterOptions): LeanHandler => {
  const routes = options.routes.map(compile)
  const run = Runtime.runCallback(options.runtime)

  return (request, response) => {
    const url = request.url ?? "/"
    const path = pathOf(url)
    let route: CompiledRoute | undefined
    let params: Record<string, string> | undefined
    for (const r of routes) {
      if (r.method !== request.method) continue
      params = matchPath(r.segments, path)
      if (params !== undefined) {
        route = r
        break
      }
    }
    if (route === undefined || params === undefined) return false
    if (!readsAsJson(request.headers["content-type"] ?? "")) return false
    const matched = route
    const pathParams = params

    const started = performance.now()
    const send = (status: number, body: string) => {
      response.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "access-control-allow-origin": "*"
      })
      response.end(body)
      options.accessLine?.(request.method!, path, status, Math.round(performance.now() - started))
    }
    const fail = (error: object) => send(errorStatus(error), JSON.stringify(encodeError(error)))
    const defect = (cause: Cause.Cause<unknown>) => {
      run(Effect.logError(`${request.method} ${path} failed`, cause).pipe(Effect.annotateLogs({ method: request.method, path })))
      fail(new InternalError())
    }

    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("error", () => response.destroy())
    request.on("end", () => {
      if (!options.authorized((request.headers.authorization ?? "").slice(BEARER))) return fail(new Unauthorized())
      const text = Buffer.concat(chunks).toString("utf8")
      let body: unknown = null
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text)
        } catch {
          return fail(BadRequest.notJson())
        }
        const refusal = jsonRefusal(body)
        if (refusal !== undefined) return fail(BadRequest.fromIssues([refusal]))
      }
      const decodedPath = matched.decodePath(pathParams)
      if (Either.isLeft(decodedPath)) return fail(decodeIssues(decodedPath.left))
      const headers = matched.decodeHeaders?.(request.headers)
      if (headers !== undefined && Either.isLeft(headers)) return fail(decodeIssues(headers.left))
      const payload = matched.decodePayload(body)
      if (Either.isLeft(payload)) return fail(decodeIssues(payload.left))
      const decoded = headers === undefined
        ? { path: decodedPath.right, payload: payload.right }
        : { path: decodedPath.right, headers: headers.right, payload: payload.right }
      run(matched.handle(decoded as never), {
        onExit: (exit) => {
          if (Exit.isSuccess(exit)) {
            const encoded = matched.encodeSuccess(exit.value)
            return Either.isRight(encoded) ? send(matched.successStatus, JSON.stringify(encoded.right)) : defect(Cause.die(encoded.left))
          }
          const failure = Cause.failureOption(exit.cause)
          if (Option.isSome(failure) && typeof failure.value === "object" && failure.value !== null) return fail(failure.value)
          return defect(exit.cause)
        }
      })
    })
    return true
  }
}
