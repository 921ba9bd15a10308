import { expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { TestServer, TestServerLive } from "../../../test/TestServer.js"

const KEY = "lean-routes-key"

interface Answer {
  readonly status: number
  readonly contentType: string | null
  readonly allowOrigin: string | null
  readonly body: unknown
}

interface Call {
  readonly method?: string
  readonly path: string
  readonly body?: string
  readonly headers?: Record<string, string>
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const GENERATED = /(run|step|lease)_[0-9a-f]{32}/g

/** Ids and times differ between the two servers' runs; the n-th id seen reads `<id n>` in both. */
const normalise = (value: unknown, ids: Map<string, string>, runId: string): unknown => {
  if (typeof value === "string") {
    if (ISO_TIME.test(value)) return "<time>"
    if (value === runId) return "<run>"
    // Generated ids also appear inside messages ("run is leased by lease_…").
    return value.replaceAll(runId, "<run>").replace(GENERATED, (id) => {
      if (!ids.has(id)) ids.set(id, `<id ${ids.size}>`)
      return ids.get(id)!
    })
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v, ids, runId))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, ids, runId)]))
  }
  return value
}

const auth = { authorization: `Bearer ${KEY}` }
const json = (body: unknown) => JSON.stringify(body)

/**
 * Every kind of checkpoint request a worker (or a wrong client) sends, in order; `$step` is
 * the id of the step the first begin opened and `$owner` the run's lease owner.
 */
const script = (runId: string): ReadonlyArray<Call> => [
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h1", input: { q: 1 }, leaseOwner: "$owner" }) },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h1", leaseOwner: "$owner" }) },
  { path: `/runs/${runId}/steps/$step/complete`, body: json({ leaseOwner: "$owner", output: { answer: [1, "two", null] } }) },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h1", leaseOwner: "$owner" }) },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h2", leaseOwner: "$owner" }) },
  { path: `/runs/${runId}/steps/checkpoint`, body: json({ name: "b", inputHash: "h", output: 7, leaseOwner: "$owner" }) },
  { path: `/runs/${runId}/steps/checkpoint`, body: json({ name: "b", inputHash: "h", output: 8, leaseOwner: "$owner" }) },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "c", inputHash: "h", leaseOwner: "$owner" }) },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "d", inputHash: "h", leaseOwner: "someone-else" }) },
  { path: `/runs/${runId}/steps/$step/fail`, body: json({ leaseOwner: "$owner", error: { message: "late" } }) },
  { path: `/runs/${runId}/steps/step_nope/complete`, body: json({ leaseOwner: "$owner" }) },
  { path: `/runs/no-such-run/steps/begin`, body: json({ name: "a", inputHash: "h" }) },
  { path: `/runs/${runId}/steps/begin`, body: json({ inputHash: "h", leaseOwner: 12 }) },
  { path: `/runs/${runId}/steps/checkpoint`, body: json({ name: "e", inputHash: "h" }) },
  { path: `/runs/${runId}/steps/begin`, body: "{not json" },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a\u0000b", inputHash: "h" }) },
  { path: `/runs/${runId}/steps/begin`, body: "" },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h" }), headers: { "content-type": "text/plain" } },
  { path: `/runs/${"x".repeat(300)}/steps/begin`, body: json({ name: "a", inputHash: "h" }) },
  { path: `/runs/bad%20id/steps/begin`, body: json({ name: "a", inputHash: "h" }) },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h" }), headers: { authorization: "Bearer wrong" } },
  { path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h" }), headers: { authorization: "" } },
  { method: "PUT", path: `/runs/${runId}/steps/begin`, body: json({ name: "a", inputHash: "h" }) },
  { path: `/queues/q-${runId}/enqueue`, body: json({ workflowName: "job", input: { a: 1 }, dedupeKey: "k", priority: 2, delayMs: 1_000 }) },
  { path: `/queues/q-${runId}/enqueue`, body: json({ workflowName: "job", dedupeKey: "k" }) },
  { path: `/queues/q-${runId}/enqueue`, body: json({ workflowName: "job", runAt: "nope" }) },
  { path: `/queues/q-${runId}/enqueue`, body: json({}) },
  { path: `/runs/${runId}/heartbeat`, body: json({ leaseOwner: "$owner", leaseEpoch: 1 }) },
  { path: `/runs/${runId}/heartbeat`, body: json({ leaseOwner: "someone-else", leaseEpoch: 1 }) },
  { path: `/runs/${runId}/heartbeat`, body: "{not json" },
  { path: `/runs/${runId}/begin`, body: json({}), headers: { "x-tidebase-worker": "worker-9" } },
  { path: `/runs/${runId}/begin`, body: "", headers: { "x-tidebase-worker": "worker-9" } },
  { path: `/runs/${runId}/begin`, body: json({ workflowName: "other" }) },
  { path: `/runs/${runId}/begin`, body: json({}), headers: { "x-tidebase-worker": "w".repeat(500) } },
  { path: `/runs/${runId}-b/begin`, body: json({ workflowName: "demo", create: { input: { a: 1 }, metadata: { m: true } } }), headers: { "x-tidebase-worker": "worker-b" } },
  { path: `/runs/${runId}-c/begin`, body: json({}) },
  { path: `/runs/${runId}/complete`, body: json({ leaseOwner: "someone-else", leaseEpoch: 1, result: 1 }) },
  { path: `/runs/${runId}/complete`, body: json({ leaseOwner: "$owner", leaseEpoch: 1, result: { done: [1, 2] } }) },
  { path: `/runs/${runId}/complete`, body: json({ leaseOwner: "$owner", leaseEpoch: 1, result: { done: [1, 2] } }) },
  { path: `/runs/${runId}/fail`, body: json({ leaseOwner: "$owner", leaseEpoch: 1, error: { message: "late" } }) },
  { path: `/runs/${runId}-b/release`, body: json({ leaseOwner: "worker-b", leaseEpoch: 1 }) },
  { path: `/runs/${runId}-b/fail`, body: "" },
  { path: `/runs/${runId}-b/fail`, body: json({ failureClass: 12 }) }
]

const play = (base: string, runId: string) =>
  Effect.promise(async () => {
    const send = async (call: Call) => {
      const response = await fetch(`${base}${call.path}`, {
        method: call.method ?? "POST",
        headers: { "content-type": "application/json", ...auth, ...call.headers },
        ...(call.body === undefined ? {} : { body: call.body })
      })
      const text = await response.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {}
      return { status: response.status, contentType: response.headers.get("content-type"), allowOrigin: response.headers.get("access-control-allow-origin"), body }
    }
    await send({ path: `/runs/demo`, body: json({ runId }) })
    const begun = await send({ path: `/runs/${runId}/begin`, body: json({}) }) as { body: { leaseOwner: string } }
    const owner = begun.body.leaseOwner
    let step = ""
    const answers: Array<Answer> = []
    for (const call of script(runId)) {
      const answer = await send({ ...call, path: call.path.replace("$step", step), ...(call.body === undefined ? {} : { body: call.body.replace("$owner", owner) }) })
      if (step === "") step = (answer.body as { step: { id: string } }).step.id
      answers.push(answer)
    }
    const ids = new Map<string, string>()
    return answers.map((a) => normalise(a, ids, runId))
  })

const serverUrl = (leanRoutes: boolean) =>
  Layer.build(TestServerLive({ apiKey: Option.some(Redacted.make(KEY)), leanRoutes })).pipe(
    Effect.map((context) => Context.get(context, TestServer).url)
  )

it.scopedLive("the lean checkpoint, run lifecycle and enqueue routes answer every request (success, conflict, bad input, auth) exactly as the HttpApi routes do", () =>
  Effect.gen(function*() {
    const viaApi = yield* play(yield* serverUrl(false), `lean-parity-api-${Date.now()}`)
    const viaLean = yield* play(yield* serverUrl(true), `lean-parity-lean-${Date.now()}`)
    expect(viaLean).toEqual(viaApi)
    // The script reaches what it means to: successes, a conflict, a 404, 400s, a 415 and 401s.
    expect(viaApi.map((a) => (a as Answer).status)).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 409, 409, 409, 404, 400, 400, 400, 400, 400, 415, 400, 400, 401, 401, 404,
      200, 200, 400, 400,
      200, 409, 400, 409, 409, 409, 400, 200, 404, 409, 200, 200, 200, 200, 200, 400
    ])
  }))
