import type { HttpApiEndpoint } from "@effect/platform"
import { StepBeginResult, StepCheckpointResult, StepsGroup } from "@tidebase/api"
import { Effect, Either, Schema } from "effect"
import type { DirectAnswer, DirectTransport } from "./DirectTransport.js"

// The api client's own signatures are generic over `withResponse`; these calls never ask for it.
type Call = (request: { readonly path: { readonly runId: string; readonly stepId?: string }; readonly payload: unknown }) => Effect.Effect<any, any>

/** The api client's steps group, as far as these calls go. */
export interface StepsClient {
  readonly checkpoint: Call
  readonly begin: Call
  readonly complete: Call
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

const decodeBegin = Schema.decodeUnknownEither(StepBeginResult)
const decodeCheckpoint = Schema.decodeUnknownEither(StepCheckpointResult)

/** The success a 2xx answer decodes to, or undefined when it is not one (the api client then asks again). */
type Accept<A> = (answer: DirectAnswer) => A | undefined

const succeeded = (answer: DirectAnswer) => answer.status >= 200 && answer.status < 300

/**
 * The endpoint's own refusals (lease lost, run cancelled, over budget, …), decoded as the api
 * client would: one of them may come after a write (over budget keeps the step's checkpoint),
 * so it must be taken as answered, never sent again.
 */
const refusalOf = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any | undefined) => {
  const decode = Schema.decodeUnknownEither((endpoint as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps).errorSchema as Schema.Schema<unknown, unknown>)
  return (answer: DirectAnswer): unknown => {
    if (succeeded(answer)) return undefined
    const decoded = decode(answer.body)
    return Either.isRight(decoded) ? decoded.right : undefined
  }
}
const endpoints = StepsGroup.endpoints
const checkpointRefusal = refusalOf(endpoints.checkpoint)
const beginRefusal = refusalOf(endpoints.begin)
const completeRefusal = refusalOf(endpoints.complete)

/**
 * The answer every step gets back is taken on a shape check of the fields the SDK reads, and any
 * other 2xx answer is decoded with the endpoint's Schema: the server is the one that encoded it.
 */
const acceptCheckpoint: Accept<StepCheckpointResult> = (answer) => {
  if (!succeeded(answer)) return undefined
  const body = answer.body
  if (isObject(body) && body.action === "recorded" && isObject(body.step)) return body as unknown as StepCheckpointResult
  const decoded = decodeCheckpoint(body)
  return Either.isRight(decoded) ? decoded.right : undefined
}

const acceptBegin: Accept<StepBeginResult> = (answer) => {
  if (!succeeded(answer)) return undefined
  const body = answer.body
  if (
    isObject(body) && body.action === "execute" && typeof body.leaseOwner === "string" &&
    isObject(body.step) && typeof body.step.id === "string" && typeof body.step.attempt === "number"
  ) return body as unknown as StepBeginResult
  const decoded = decodeBegin(body)
  return Either.isRight(decoded) ? decoded.right : undefined
}

const acceptComplete: Accept<{ readonly step: unknown }> = (answer) =>
  succeeded(answer) && isObject(answer.body) && isObject(answer.body.step) ? answer.body as { readonly step: unknown } : undefined

/**
 * The per-step requests sent through a `DirectTransport`: most of a step's client CPU was the
 * generic client (request and response objects, fibers, abort signals, Schema encode and decode),
 * not the request. A success or one of the endpoint's refusals is the answer. Anything else (no
 * answer, a 400/401, a 5xx, a body it cannot read) is sent again through the api client, which
 * retries, validates the request and explains the failure: these writes are idempotent or fenced
 * by their lease, so a second send is safe, and none of those answers comes after a write.
 */
export const directSteps = (
  steps: StepsClient,
  transport: DirectTransport["Type"],
  baseUrl: string,
  apiKey: string | undefined
): StepsClient => {
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`
  const post = (
    path: string,
    payload: unknown,
    accept: Accept<unknown>,
    refusal: (answer: DirectAnswer) => unknown,
    viaApi: Effect.Effect<any, any>
  ) =>
    Effect.flatMap(
      Effect.promise(() => transport.postJson(`${baseUrl}${path}`, headers, JSON.stringify(payload)).catch(() => undefined)),
      (answer) => {
        if (answer === undefined) return viaApi
        const accepted = accept(answer)
        if (accepted !== undefined) return Effect.succeed(accepted)
        const refused = refusal(answer)
        return refused === undefined ? viaApi : Effect.fail(refused)
      }
    )
  const run = (runId: string) => `/runs/${encodeURIComponent(runId)}`
  return {
    checkpoint: (request) =>
      post(`${run(request.path.runId)}/steps/checkpoint`, request.payload, acceptCheckpoint, checkpointRefusal, steps.checkpoint(request)),
    begin: (request) => post(`${run(request.path.runId)}/steps/begin`, request.payload, acceptBegin, beginRefusal, steps.begin(request)),
    complete: (request) =>
      post(
        `${run(request.path.runId)}/steps/${encodeURIComponent(request.path.stepId ?? "")}/complete`,
        request.payload,
        acceptComplete,
        completeRefusal,
        steps.complete(request)
      )
  }
}
