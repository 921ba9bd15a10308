import { expect } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>

const BACKOFF_MS = 200
let queues = 0
/** Every test has queues of its own: the suites share one database. */
const queueName = (label: string) => `${label}-${Date.now().toString(36)}-${++queues}`

const enqueue = (api: Api, queue: string, body: Record<string, unknown> = {}) =>
  Effect.map(api.post(`/queues/${queue}/enqueue`, { workflowName: "job", ...body }), (r) => {
    expect(r.status).toBe(200)
    return r.body as { run: { id: string; status: string; runAt: string }; deduplicated: boolean }
  })

const claim = (api: Api, body: Record<string, unknown>) =>
  Effect.map(api.post("/queues/claim", body), (r) => {
    expect(r.status).toBe(200)
    return r.body as { runs: Array<{ id: string; status: string; leaseOwner: string; attempt: number; updatedAt: string }>; leaseOwner: string }
  })

const eventTypes = (api: Api, runId: string) =>
  Effect.map(api.get(`/runs/${runId}/events`, { accept: "application/json" }), (r) => r.body.events.map((e: { type: string }) => e.type) as Array<string>)

const queueSummary = (api: Api, queue: string) =>
  Effect.map(api.get("/queues"), (r) => (r.body.queues as Array<{ name: string; running: number; queued: number }>).find((q) => q.name === queue))

serverSuite("queues", (it) => {
  it.effect("20 concurrent enqueues with one dedupeKey make one run, and 5 with one runId one run; every caller is answered that run", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("dedupe")
      const replies = yield* Effect.all(
        Array.from({ length: 20 }, () => enqueue(api, queue, { dedupeKey: "report-42", input: { topic: "tides" } })),
        { concurrency: "unbounded" }
      )
      const ids = new Set(replies.map((r) => r.run.id))
      expect(ids.size).toBe(1)
      expect(replies.filter((r) => !r.deduplicated)).toHaveLength(1)
      expect(replies[0]!.run).toMatchObject({ status: "queued", queue, dedupeKey: "report-42", input: { topic: "tides" } })
      expect(yield* eventTypes(api, [...ids][0]!)).toEqual(["run.created", "run.enqueued"])

      const runId = `chosen-${queue}`
      const chosen = yield* Effect.all(Array.from({ length: 5 }, () => enqueue(api, queue, { runId })), { concurrency: "unbounded" })
      expect(chosen.map((r) => r.run.id)).toEqual(chosen.map(() => runId))
      expect(chosen.filter((r) => !r.deduplicated)).toHaveLength(1)
      expect(yield* eventTypes(api, runId)).toEqual(["run.created", "run.enqueued"])
    }))

  it.effect("a dedupeKey is free again once its run is over: a new enqueue makes a new run", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("dedupe-after")
      const first = yield* enqueue(api, queue, { dedupeKey: "k" })
      const [claimed] = (yield* claim(api, { queues: [queue] })).runs
      yield* api.post(`/runs/${claimed!.id}/complete`, { result: 1, leaseOwner: claimed!.leaseOwner })
      const second = yield* enqueue(api, queue, { dedupeKey: "k" })
      expect(second.deduplicated).toBe(false)
      expect(second.run.id).not.toBe(first.run.id)
    }))

  it.effect("50 concurrent claimers over 200 runs hand out each run exactly once, each claimed run running and leased", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("many")
      const enqueued = yield* Effect.all(Array.from({ length: 200 }, () => enqueue(api, queue)), { concurrency: 20 })
      const claimer = (i: number) =>
        Effect.gen(function*() {
          const got: Array<{ id: string; status: string; leaseOwner: string }> = []
          while (true) {
            const { leaseOwner, runs } = yield* claim(api, { queues: [queue], limit: 3, leaseOwner: `worker-${i}` })
            if (runs.length === 0) return got
            for (const run of runs) expect(run).toMatchObject({ status: "running", leaseOwner })
            got.push(...runs)
          }
        })
      const claimed = (yield* Effect.all(Array.from({ length: 50 }, (_, i) => claimer(i)), { concurrency: "unbounded" })).flat()
      expect(claimed).toHaveLength(200)
      expect(new Set(claimed.map((r) => r.id))).toEqual(new Set(enqueued.map((e) => e.run.id)))
      const sample = claimed[0]!
      expect((yield* eventTypes(api, sample.id)).filter((t) => t === "run.claimed")).toHaveLength(1)
    }))

  it.effect("with concurrency 2 and 20 claimers no more than 2 runs of the queue are ever running", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("capped")
      const config = yield* api.put(`/queues/${queue}/config`, { concurrency: 2 })
      expect(config.body).toEqual({ config: { name: queue, concurrency: 2, ratePerMinute: null, invokeUrl: null } })
      yield* Effect.all(Array.from({ length: 12 }, () => enqueue(api, queue)), { concurrency: 12 })
      let done = 0
      const worker = (i: number) =>
        Effect.gen(function*() {
          while (done < 12) {
            const { runs } = yield* claim(api, { queues: [queue], limit: 5, leaseOwner: `w${i}`, waitMs: 200 })
            for (const run of runs) {
              yield* Effect.sleep("30 millis")
              yield* api.post(`/runs/${run.id}/complete`, { result: i, leaseOwner: run.leaseOwner })
              done++
            }
          }
        })
      const samples: Array<number> = []
      const sampler = Effect.gen(function*() {
        while (done < 12) {
          samples.push((yield* queueSummary(api, queue))?.running ?? 0)
          yield* Effect.sleep("5 millis")
        }
      })
      yield* Effect.all([sampler, ...Array.from({ length: 20 }, (_, i) => worker(i))], { concurrency: "unbounded" })
      expect(samples.length).toBeGreaterThan(10)
      expect(Math.max(...samples)).toBeLessThanOrEqual(2)
      expect(Math.max(...samples)).toBe(2)
      expect(yield* queueSummary(api, queue)).toMatchObject({ queued: 0, running: 0, completed: 12 })
    }))

  it.effect("a rate limit of 60/min hands out about one claim a second, however many claimers ask", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("rated")
      yield* api.put(`/queues/${queue}/config`, { ratePerMinute: 60 })
      yield* Effect.all(Array.from({ length: 10 }, () => enqueue(api, queue)), { concurrency: 10 })
      const start = Date.now()
      const times: Array<number> = []
      const claimer = (i: number) =>
        Effect.gen(function*() {
          while (Date.now() - start < 2_500) {
            const { runs } = yield* claim(api, { queues: [queue], limit: 10, leaseOwner: `r${i}` })
            // When the server claimed it (not when the answer arrived: a loaded machine delays answers unevenly).
            for (const run of runs) times.push(Date.parse(run.updatedAt) - start)
            yield* Effect.sleep("20 millis")
          }
        })
      yield* Effect.all(Array.from({ length: 10 }, (_, i) => claimer(i)), { concurrency: "unbounded" })
      // At 0 s, 1 s and 2 s: never a burst, never two within the interval.
      expect(times.length).toBeGreaterThanOrEqual(2)
      expect(times.length).toBeLessThanOrEqual(3)
      const sorted = [...times].sort((a, b) => a - b)
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(900)
    }))

  it.effect("claims take ready runs by priority, then runAt, then creation; a run is not claimed before its runAt", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("order")
      const low = yield* enqueue(api, queue, { priority: 0 })
      const high = yield* enqueue(api, queue, { priority: 5 })
      const earlier = yield* enqueue(api, queue, { priority: 0, runAt: new Date(Date.now() - 60_000).toISOString() })
      const later = yield* enqueue(api, queue, { priority: 9, delayMs: 600 })
      expect(later.run.status).toBe("queued")
      const order: Array<string> = []
      for (let i = 0; i < 3; i++) order.push(...(yield* claim(api, { queues: [queue] })).runs.map((r) => r.id))
      expect(order).toEqual([high.run.id, earlier.run.id, low.run.id])
      expect((yield* claim(api, { queues: [queue] })).runs).toEqual([])
      const waited = yield* claim(api, { queues: [queue], waitMs: 5_000 })
      expect(waited.runs.map((r) => r.id)).toEqual([later.run.id])
    }))

  it.effect("a failed queue run goes back to queued with doubling backoff, then fails with max_retries", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("retry")
      const { run } = yield* enqueue(api, queue, { maxAttempts: 3 })
      const delays: Array<number> = []
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [claimed] = (yield* claim(api, { queues: [queue], waitMs: 5_000 })).runs
        expect(claimed!.id).toBe(run.id)
        const failed = yield* api.post(`/runs/${run.id}/fail`, { error: { message: `try ${attempt}` }, leaseOwner: claimed!.leaseOwner })
        expect(failed.status).toBe(200)
        if (attempt < 3) {
          expect(failed.body).toMatchObject({ requeued: true, run: { status: "queued", leaseOwner: null } })
          delays.push(Date.parse(failed.body.run.runAt) - Date.parse(failed.body.run.updatedAt))
          expect((yield* claim(api, { queues: [queue] })).runs).toEqual([])
        } else {
          expect(failed.body).toMatchObject({ requeued: false, run: { status: "failed", failureClass: "max_retries", error: { message: "try 3" } } })
        }
      }
      expect(delays).toEqual([BACKOFF_MS, 2 * BACKOFF_MS])
      const events = (yield* api.get(`/runs/${run.id}/events`, { accept: "application/json" })).body.events as Array<{ type: string; payload: any }>
      expect(events.map((e) => e.type)).toEqual([
        "run.created", "run.enqueued", "run.claimed", "run.requeued", "run.claimed", "run.requeued", "run.claimed", "run.failed"
      ])
      expect(events.filter((e) => e.type === "run.requeued").map((e) => [e.payload.attempt, e.payload.maxAttempts])).toEqual([[1, 3], [2, 3]])
    }))

  it.effect("a worker that dies mid-run: the reconciler requeues its run once, and another worker finishes it with its completed step replayed", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("crash")
      const { run } = yield* enqueue(api, queue)
      const [first] = (yield* claim(api, { queues: [queue], leaseOwner: "doomed", leaseMs: 300 })).runs
      const step = (yield* api.post(`/runs/${run.id}/steps/begin`, { name: "charge", inputHash: "h", leaseOwner: "doomed" })).body
      expect(step.action).toBe("execute")
      yield* api.post(`/runs/${run.id}/steps/${step.step.id}/complete`, { leaseOwner: "doomed", output: { charged: 42 } })
      expect(first!.leaseOwner).toBe("doomed")
      // The worker dies here: no heartbeat, no complete.

      const [second] = (yield* claim(api, { queues: [queue], leaseOwner: "survivor", waitMs: 10_000 })).runs
      expect(second).toMatchObject({ id: run.id, leaseOwner: "survivor" })
      const replay = (yield* api.post(`/runs/${run.id}/steps/begin`, { name: "charge", inputHash: "h", leaseOwner: "survivor" })).body
      expect(replay).toMatchObject({ action: "return", output: { charged: 42 } })
      yield* api.post(`/runs/${run.id}/complete`, { result: "done", leaseOwner: "survivor" })
      const late = yield* api.post(`/runs/${run.id}/heartbeat`, { leaseOwner: "doomed" })
      expect(late.status).toBe(409)
      const types = yield* eventTypes(api, run.id)
      expect(types.filter((t) => t === "run.requeued")).toHaveLength(1)
      expect(types.filter((t) => t === "step.started")).toHaveLength(1)
      expect((yield* api.get(`/runs/${run.id}`)).body.run).toMatchObject({ status: "completed", result: "done" })
    }))

  it.effect("an idle long-polling claim picks up a run enqueued later within a second, with no claim request in between", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("longpoll")
      const started = Date.now()
      const waiting = yield* Effect.fork(claim(api, { queues: [queue], waitMs: 20_000 }))
      yield* Effect.sleep("300 millis")
      const { run } = yield* enqueue(api, queue)
      const enqueuedAt = Date.now()
      const { runs } = yield* Fiber.join(waiting)
      expect(runs.map((r) => r.id)).toEqual([run.id])
      expect(Date.now() - enqueuedAt).toBeLessThan(1_000)
      expect(Date.now() - started).toBeLessThan(5_000)
    }))

  it.effect("a long poll with nothing to claim answers empty once waitMs has passed", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const started = Date.now()
      const { runs } = yield* claim(api, { queues: [queueName("empty")], waitMs: 300 })
      expect(runs).toEqual([])
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    }))

  it.effect("GET /queues counts runs by status with the queue's settings; null clears a setting", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("counts")
      yield* api.put(`/queues/${queue}/config`, { concurrency: 3, ratePerMinute: 600 })
      const cleared = yield* api.put(`/queues/${queue}/config`, { ratePerMinute: null })
      expect(cleared.body.config).toEqual({ name: queue, concurrency: 3, ratePerMinute: null, invokeUrl: null })
      const a = yield* enqueue(api, queue)
      yield* enqueue(api, queue)
      yield* api.post(`/runs/${a.run.id}/cancel`, {})
      const [claimed] = (yield* claim(api, { queues: [queue] })).runs
      expect(claimed).toBeDefined()
      expect((yield* api.get("/queues")).body.queues.find((q: { name: string }) => q.name === queue)).toEqual({
        name: queue,
        queued: 0,
        running: 1,
        failed: 0,
        completed: 0,
        cancelled: 1,
        config: { name: queue, concurrency: 3, ratePerMinute: null, invokeUrl: null }
      })
    }))

  it.effect("bad queue input is a 400 naming the field, and nothing is written", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const queue = queueName("bad")
      const cases: Array<[string, string, unknown, string]> = [
        ["POST", "/queues/claim", { queues: [queue], limit: 0 }, "limit"],
        ["POST", "/queues/claim", { queues: [] }, "queues"],
        ["POST", "/queues/claim", { queues: [queue], waitMs: -1 }, "waitMs"],
        ["POST", `/queues/${queue}/enqueue`, {}, "workflowName"],
        ["POST", `/queues/${queue}/enqueue`, { workflowName: "job", runAt: "tomorrow" }, "runAt"],
        ["POST", `/queues/${queue}/enqueue`, { workflowName: "job", maxAttempts: 0 }, "maxAttempts"],
        ["PUT", `/queues/${queue}/config`, { concurrency: 0 }, "concurrency"],
        ["PUT", `/queues/${queue}/config`, { invokeUrl: "ftp://x" }, "invokeUrl"]
      ]
      for (const [method, path, body, field] of cases) {
        const reply = method === "PUT" ? yield* api.put(path, body) : yield* api.post(path, body)
        expect([reply.status, reply.body.code], `${method} ${path} ${JSON.stringify(body)}`).toEqual([400, "bad_request"])
        expect(reply.body.error).toContain(field)
      }
      expect(yield* queueSummary(api, queue)).toBeUndefined()
    }))
}, { queueBackoffMs: BACKOFF_MS, reconcileMs: 100 })
