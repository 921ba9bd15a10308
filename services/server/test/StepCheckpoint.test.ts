import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const begunRun = (api: ReturnType<typeof http>, worker = "worker-a") =>
  Effect.gen(function*() {
    const runId = (yield* api.post("/runs/one-request", {})).body.run.id as string
    const begun = yield* api.post(`/runs/${runId}/begin`, {}, { "x-tidebase-worker": worker })
    return { runId, leaseOwner: begun.body.leaseOwner as string, leaseEpoch: begun.body.run.attempt as number }
  })

serverSuite("one-request step checkpoints", (it) => {
  it.effect("a step recorded in one request is a completed checkpoint that later begins return", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { leaseEpoch, leaseOwner, runId } = yield* begunRun(api)
      const recorded = yield* api.post(`/runs/${runId}/steps/checkpoint`, {
        name: "plan", inputHash: "h1", input: { q: 1 }, output: { plan: [1, 2] }, leaseOwner, leaseEpoch
      })
      expect(recorded.status).toBe(200)
      expect(recorded.body).toMatchObject({ action: "recorded", step: { name: "plan", status: "completed", output: { plan: [1, 2] }, attempt: 1 } })
      const again = yield* api.post(`/runs/${runId}/steps/begin`, { name: "plan", inputHash: "h1", leaseOwner })
      expect(again.body).toMatchObject({ action: "return", output: { plan: [1, 2] } })
      const types = (yield* api.get(`/runs/${runId}`)).body.events.map((e: { type: string }) => e.type)
      expect(types.slice(-2)).toEqual(["step.started", "step.completed"])
    }))

  it.effect("an existing checkpoint wins: a second record returns the stored output and changes nothing", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { leaseOwner, runId } = yield* begunRun(api)
      yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "s", inputHash: "h", output: "first", leaseOwner })
      const second = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "s", inputHash: "h", output: "second", leaseOwner })
      expect(second.body).toMatchObject({ action: "return", output: "first" })
      const mismatch = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "s", inputHash: "other", output: "x", leaseOwner })
      expect(mismatch.body).toMatchObject({ action: "input_mismatch", expectedInputHash: "h", actualInputHash: "other" })
      const steps = (yield* api.get(`/runs/${runId}`)).body.steps
      expect(steps).toHaveLength(1)
      expect(steps[0].output).toBe("first")
    }))

  it.effect("recording needs the run lease: a stranger or a stale epoch gets 409 lease_lost and nothing is written", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { leaseEpoch, leaseOwner, runId } = yield* begunRun(api)
      const stranger = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "s", inputHash: "h", output: 1, leaseOwner: "someone-else" })
      expect(stranger.status).toBe(409)
      expect(stranger.body.code).toBe("lease_lost")
      const stale = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "s", inputHash: "h", output: 1, leaseOwner, leaseEpoch: leaseEpoch - 1 })
      expect(stale.status).toBe(409)
      expect((yield* api.get(`/runs/${runId}`)).body.steps).toHaveLength(0)
    }))

  it.effect("a missing leaseOwner is a 400 naming the field", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId } = yield* begunRun(api)
      const reply = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "s", inputHash: "h", output: 1 })
      expect(reply.status).toBe(400)
      expect(JSON.stringify(reply.body.issues)).toContain("leaseOwner")
    }))

  it.effect("20 concurrent records of one step by the lease holder leave exactly one checkpoint, and every caller sees its output", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { leaseOwner, runId } = yield* begunRun(api)
      const replies = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => api.post(`/runs/${runId}/steps/checkpoint`, { name: "s", inputHash: "h", output: i, leaseOwner })),
        { concurrency: 20 }
      )
      expect(replies.filter((r) => r.body.action === "recorded")).toHaveLength(1)
      const winner = replies.find((r) => r.body.action === "recorded")!.body.step.output
      for (const r of replies) expect(r.body.action === "recorded" ? r.body.step.output : r.body.output).toBe(winner)
      expect((yield* api.get(`/runs/${runId}`)).body.events.filter((e: { type: string }) => e.type === "step.completed")).toHaveLength(1)
    }))

  it.effect("a step's own lease owner re-begins its running step at once (execute); another owner is locked out", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/own-owner", {})).body.run.id
      const first = yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h", leaseOwner: "w1" })
      expect(first.body.action).toBe("execute")
      expect((yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h", leaseOwner: "w2" })).body.action).toBe("locked")
      const again = yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h", leaseOwner: "w1" })
      expect(again.body.action).toBe("execute")
      expect(again.body.step.id).toBe(first.body.step.id)
    }))
})
