import type { HttpApiEndpoint } from "@effect/platform"
import { RunsGroup, StepBeginResult, StepCheckpointResult, StepsGroup } from "@tidebase/api"
import type { Checkpoint, Run } from "@tidebase/api"
import { Effect, Either, Schema } from "effect"
import type { DirectAnswer, DirectTransport } from "./DirectTransport.js"

// The api client's own signatures are generic over `withResponse`; these calls never ask for it.
type Call = (request: { readonly path: { readonly runId: string; readonly stepId?: string }; readonly payload?: unknown }) => Effect.Effect<any, any>

/** The api client's calls that a `DirectTransport` carries, as far as these go. */
export interface DirectClient {
  readonly steps: { readonly checkpoint: Call; readonly begin: Call; readonly complete: Call }
  readonly runs: { readonly checkpoints: Call }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

const decodeBegin = Schema.decodeUnknownEither(StepBeginResult)
const decodeCheckpoint = Schema.decodeUnknownEither(StepCheckpointResult)
const CheckpointsAnswer = (RunsGroup.endpoints.checkpoints as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps).successSchema as unknown as Schema.Schema<
  { readonly run: Run; readonly checkpoints: ReadonlyArray<Checkpoint> },
  unknown
>
const decodeCheckpoints = Schema.decodeUnknownEither(CheckpointsAnswer)

/** The success a 2xx answer decodes to, or undefined when it is not one (the api client then asks again). */
type Accept<A> = (answer: DirectAnswer) => A | undefined

const succeeded = (answer: DirectAnswer) => answer.status >= 200 && answer.status < 300

/**
 * The endpoint's own refusals (lease lost, run cancelled, over budget, …), decoded as the api
 * client would: one of them may come after a write (over budget keeps the step's checkpoint),
 * so it must be taken as answered, never sent again.
 */
const refusalOf = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any | undefined) => {
  const decode = Schema.decodeUnknownEither((endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps).errorSchema as Schema.Schema<unknown, unknown>)
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
const checkpointsRefusal = refusalOf(RunsGroup.endpoints.checkpoints)

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

const isCheckpoint = (u: unknown) =>
  isObject(u) && typeof u.stepId === "string" && typeof u.name === "string" && typeof u.inputHash === "string" && "output" in u

/** A resume reads every checkpoint of the run: checking each one's shape costs far less than decoding it. */
const acceptCheckpoints: Accept<{ readonly run: Run; readonly checkpoints: ReadonlyArray<Checkpoint> }> = (answer) => {
  if (!succeeded(answer)) return undefined
  const body = answer.body
  if (isObject(body) && isObject(body.run) && Array.isArray(body.checkpoints) && body.checkpoints.every(isCheckpoint)) {
    return body as unknown as { readonly run: Run; readonly checkpoints: ReadonlyArray<Checkpoint> }
  }
  const decoded = decodeCheckpoints(body)
  return Either.isRight(decoded) ? decoded.right : undefined
}

/**
 * The requests every step makes, and the checkpoints read of every resume, sent through a
 * `DirectTransport`: most of their client CPU was the generic client (request and response
 * objects, fibers, abort signals, Schema encode and decode), not the request. A success or one of
 * the endpoint's refusals is the answer. Anything else (no answer, a 400/401, a 5xx, a body it
 * cannot read) is sent again through the api client, which retries, validates the request and
 * explains the failure: these writes are idempotent or fenced by their lease, so a second send
 * is safe, and none of those answers comes after a write.
 */
export const directCalls = (
  api: DirectClient,
  transport: DirectTransport["Type"],
  baseUrl: string,
  apiKey: string | undefined
): DirectClient => {
  const headers: Record<string, string> = { "content-type": "application/json" }
  const readHeaders: Record<string, string> = {}
  if (apiKey !== undefined) headers.authorization = readHeaders.authorization = `Bearer ${apiKey}`
  const send = (
    answered: () => Promise<DirectAnswer>,
    accept: Accept<unknown>,
    refusal: (answer: DirectAnswer) => unknown,
    viaApi: Effect.Effect<any, any>
  ) =>
    Effect.flatMap(
      Effect.promise(() => answered().catch(() => undefined)),
      (answer) => {
        if (answer === undefined) return viaApi
        const accepted = accept(answer)
        if (accepted !== undefined) return Effect.succeed(accepted)
        const refused = refusal(answer)
        return refused === undefined ? viaApi : Effect.fail(refused)
      }
    )
  const post = (path: string, payload: unknown) => () => transport.postJson(`${baseUrl}${path}`, headers, JSON.stringify(payload))
  const run = (runId: string) => `/runs/${encodeURIComponent(runId)}`
  const { runs, steps } = api
  return {
    steps: {
      checkpoint: (request) =>
        send(post(`${run(request.path.runId)}/steps/checkpoint`, request.payload), acceptCheckpoint, checkpointRefusal, steps.checkpoint(request)),
      begin: (request) => send(post(`${run(request.path.runId)}/steps/begin`, request.payload), acceptBegin, beginRefusal, steps.begin(request)),
      complete: (request) =>
        send(
          post(`${run(request.path.runId)}/steps/${encodeURIComponent(request.path.stepId ?? "")}/complete`, request.payload),
          acceptComplete,
          completeRefusal,
          steps.complete(request)
        )
    },
    runs: {
      checkpoints: (request) =>
        send(
          () => transport.getJson(`${baseUrl}${run(request.path.runId)}/checkpoints`, readHeaders),
          acceptCheckpoints,
          checkpointsRefusal,
          runs.checkpoints(request)
        )
    }
  }
}
