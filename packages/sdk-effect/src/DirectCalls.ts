import type { HttpApiEndpoint } from "@effect/platform"
import { RunsGroup, StepsGroup } from "@tidebase/api"
import { Effect, Either, Exit, Schema } from "effect"
import type { DirectAnswer, DirectTransport } from "./DirectTransport.js"

interface CallRequest {
  readonly path: { readonly runId: string; readonly stepId?: string }
  readonly headers?: Readonly<Record<string, string | undefined>>
  readonly payload?: unknown
}
// The api client's own signatures are generic over `withResponse`; these calls never ask for it.
type Call = (request: CallRequest) => Effect.Effect<any, any>

/** The api client's calls that a `DirectTransport` carries, as far as these go. */
export interface DirectClient {
  readonly steps: { readonly checkpoint: Call; readonly begin: Call; readonly complete: Call }
  readonly runs: { readonly checkpoints: Call; readonly begin: Call; readonly heartbeat: Call; readonly complete: Call; readonly fail: Call }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

const succeeded = (answer: DirectAnswer) => answer.status >= 200 && answer.status < 300

/** What an answer means for the call: its success, one of its refusals, or undefined (the api client then asks again). */
type Reading = (answer: DirectAnswer) => Exit.Exit<unknown, unknown> | undefined

/**
 * A 2xx answer is the endpoint's success (decoded with its Schema, unless `quick` recognises one
 * of the answers every step gets by the fields the SDK reads); any other answer is one of the
 * endpoint's own refusals (lease lost, cancelled, over budget, …), decoded as the api client
 * would: one of them may come after a write (over budget keeps the step's checkpoint), so it is
 * taken as answered, never sent again.
 */
const readingOf = (endpoint: HttpApiEndpoint.HttpApiEndpoint.Any | undefined, quick?: (body: Record<string, unknown>) => boolean): Reading => {
  const { errorSchema, successSchema } = endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
  const success = Schema.decodeUnknownEither(successSchema as Schema.Schema<unknown, unknown>)
  const refusal = Schema.decodeUnknownEither(errorSchema as Schema.Schema<unknown, unknown>)
  return (answer) => {
    const body = answer.body
    if (succeeded(answer)) {
      if (quick !== undefined && isObject(body) && quick(body)) return Exit.succeed(body)
      const decoded = success(body)
      return Either.isRight(decoded) ? Exit.succeed(decoded.right) : undefined
    }
    const refused = refusal(body)
    return Either.isRight(refused) ? Exit.fail(refused.right) : undefined
  }
}

const isCheckpoint = (u: unknown) =>
  isObject(u) && typeof u.stepId === "string" && typeof u.name === "string" && typeof u.inputHash === "string" && "output" in u

const steps = StepsGroup.endpoints
const runs = RunsGroup.endpoints
const readings = {
  checkpoint: readingOf(steps.checkpoint, (body) => body.action === "recorded" && isObject(body.step)),
  stepBegin: readingOf(steps.begin, (body) =>
    body.action === "execute" && typeof body.leaseOwner === "string" &&
    isObject(body.step) && typeof body.step.id === "string" && typeof body.step.attempt === "number"),
  stepComplete: readingOf(steps.complete, (body) => isObject(body.step)),
  // A resume reads every checkpoint of the run: checking each one's shape costs far less than decoding it.
  checkpoints: readingOf(runs.checkpoints, (body) => isObject(body.run) && Array.isArray(body.checkpoints) && body.checkpoints.every(isCheckpoint)),
  runBegin: readingOf(runs.begin),
  heartbeat: readingOf(runs.heartbeat),
  runComplete: readingOf(runs.complete),
  runFail: readingOf(runs.fail)
}

/**
 * The requests every step and every run makes, and the checkpoints read of every resume, sent
 * through a `DirectTransport`: most of their client CPU was the generic client (request and
 * response objects, fibers, abort signals, Schema encode and decode), not the request. A success
 * or one of the endpoint's refusals is the answer. Anything else (no answer, a 400/401, a 5xx, a
 * body it cannot read) is sent again through the api client, which retries, validates the
 * request and explains the failure: these writes are idempotent or fenced by their lease, so a
 * second send is safe, and none of those answers comes after a write.
 */
export const directCalls = (
  api: DirectClient,
  transport: DirectTransport["Type"],
  baseUrl: string,
  apiKey: string | undefined
): DirectClient => {
  const base = new URL(baseUrl)
  const prefix = base.pathname.replace(/\/+$/, "")
  const authorization: Record<string, string> = apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }
  const jsonHeaders: Record<string, string> = { "content-type": "application/json", ...authorization }
  const run = (request: CallRequest) => `${prefix}/runs/${encodeURIComponent(request.path.runId)}`

  const post = (to: (request: CallRequest) => string, reading: Reading, viaApi: Call): Call => (request) =>
    send(() => {
      const worker = request.headers?.["x-tidebase-worker"]
      const headers = worker === undefined ? jsonHeaders : { ...jsonHeaders, "x-tidebase-worker": worker }
      return transport.postJson(base.origin, to(request), headers, JSON.stringify(request.payload ?? {}))
    }, reading, () => viaApi(request))
  const send = (answered: () => Promise<DirectAnswer>, reading: Reading, viaApi: () => Effect.Effect<any, any>) =>
    Effect.flatMap(
      Effect.promise(() => answered().catch(() => undefined)),
      (answer) => (answer === undefined ? undefined : reading(answer)) ?? viaApi()
    )

  return {
    steps: {
      checkpoint: post((r) => `${run(r)}/steps/checkpoint`, readings.checkpoint, api.steps.checkpoint),
      begin: post((r) => `${run(r)}/steps/begin`, readings.stepBegin, api.steps.begin),
      complete: post((r) => `${run(r)}/steps/${encodeURIComponent(r.path.stepId ?? "")}/complete`, readings.stepComplete, api.steps.complete)
    },
    runs: {
      checkpoints: (request) =>
        send(() => transport.getJson(base.origin, `${run(request)}/checkpoints`, authorization), readings.checkpoints, () => api.runs.checkpoints(request)),
      begin: post((r) => `${run(r)}/begin`, readings.runBegin, api.runs.begin),
      heartbeat: post((r) => `${run(r)}/heartbeat`, readings.heartbeat, api.runs.heartbeat),
      complete: post((r) => `${run(r)}/complete`, readings.runComplete, api.runs.complete),
      fail: post((r) => `${run(r)}/fail`, readings.runFail, api.runs.fail)
    }
  }
}
