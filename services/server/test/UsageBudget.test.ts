import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ProjectionRebuilder, ProjectionRebuilderLive } from "@tidebase/server"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

const ScratchLive = onScratchDatabase((url) => Layer.mergeAll(TestServerLive({}, url), ProjectionRebuilderLive))

type Api = ReturnType<typeof http>

const newRun = (api: Api, body: object = {}) => Effect.map(api.post("/runs/usage-budget", body), (r) => r.body.run.id as string)

const begin = (api: Api, runId: string, worker: string) =>
  Effect.map(api.post(`/runs/${runId}/begin`, {}, { "x-tidebase-worker": worker }), (r) => r.body.run.attempt as number)

layer(ScratchLive, { excludeTestServices: true })("usage ledger and budgets", (it) => {
  it.effect("totalTokens is derived from input + output when not given, kind defaults to custom, and the run row carries the totals", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      const first = yield* api.post(`/runs/${runId}/usage`, { provider: "openai", model: "gpt-4.1-mini", inputTokens: 120, outputTokens: 30, costUsd: 0.1 })
      expect(first.body.usage).toMatchObject({ kind: "custom", inputTokens: 120, outputTokens: 30, totalTokens: 150, costUsd: 0.1 })
      expect(first.body).toMatchObject({ deduplicated: false, budgetExceeded: false })
      yield* api.post(`/runs/${runId}/usage`, { kind: "llm", inputTokens: 1, outputTokens: 1, totalTokens: 5, costUsd: 0.2 })
      const totals = { inputTokens: 121, outputTokens: 31, totalTokens: 155, costUsd: 0.3 }
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.run.usageTotals).toEqual(totals)
      expect(detail.usage.map((u: { totalTokens: number }) => u.totalTokens)).toEqual([150, 5])
      const listed = (yield* api.get("/runs?workflowName=usage-budget")).body.runs.find((r: { id: string }) => r.id === runId)
      expect(listed.usageTotals).toEqual(totals)
    }))

  it.effect("negative tokens or cost are a 400 naming the field, and nothing is recorded", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      for (const field of ["inputTokens", "outputTokens", "totalTokens", "costUsd", "quantity"]) {
        const reply = yield* api.post(`/runs/${runId}/usage`, { [field]: -1 })
        expect(reply.status).toBe(400)
        expect(reply.body.issues).toEqual([{ path: [field], message: "Expected a non-negative number, actual -1" }])
      }
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.usage).toEqual([])
      expect(detail.run.usageTotals.totalTokens).toBe(0)
    }))

  it.effect("a usage record retried with the same idempotency key is counted once, also when 10 copies race", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      const record = { inputTokens: 10, outputTokens: 5, costUsd: 0.01, idempotencyKey: `${runId}:plan:n1:1` }
      const replies = yield* Effect.all(Array.from({ length: 10 }, () => api.post(`/runs/${runId}/usage`, record)), { concurrency: "unbounded" })
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200))
      expect(new Set(replies.map((r) => r.body.usage.id)).size).toBe(1)
      expect(replies.filter((r) => !r.body.deduplicated)).toHaveLength(1)
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.usage).toHaveLength(1)
      expect(detail.run.usageTotals).toEqual({ inputTokens: 10, outputTokens: 5, totalTokens: 15, costUsd: 0.01 })
      expect(detail.events.filter((e: { type: string }) => e.type === "usage.recorded")).toHaveLength(1)
    }))

  it.effect("crossing a budget stops the run at the next step with budget_exceeded, and raising it lets the re-invoked run go on", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api, { budget: { maxCostUsd: 0.05 } })
      const epoch = yield* begin(api, runId, "worker-1")
      const fence = { leaseOwner: "worker-1", leaseEpoch: epoch }
      const plan = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "plan", inputHash: "h", output: "p", ...fence })
      expect(plan.body.action).toBe("recorded")
      const atBudget = yield* api.post(`/runs/${runId}/usage`, { costUsd: 0.05 })
      expect(atBudget.body.budgetExceeded).toBe(false)
      const over = yield* api.post(`/runs/${runId}/usage`, { costUsd: 0.01 })
      expect(over.status).toBe(200)
      expect(over.body.budgetExceeded).toBe(true)

      const stopped = yield* api.post(`/runs/${runId}/steps/begin`, { name: "draft", inputHash: "h", ...fence })
      expect(stopped.status).toBe(409)
      expect(stopped.body.code).toBe("budget_exceeded")
      expect(stopped.body.run).toMatchObject({ status: "failed", failureClass: "budget_exceeded" })
      expect(stopped.body.run.error).toMatchObject({ code: "budget_exceeded", resumeDecision: "manual_review" })
      // The stopped worker cannot finish the run behind the budget's back.
      expect((yield* api.post(`/runs/${runId}/complete`, { result: "x", ...fence })).body.code).toBe("lease_lost")
      const afterStop = (yield* api.get(`/runs/${runId}`)).body
      expect(afterStop.steps.map((s: { name: string }) => s.name)).toEqual(["plan"])
      expect(afterStop.run.status).toBe("failed")

      const raised = yield* api.patch(`/runs/${runId}`, { budget: { maxCostUsd: 1 } })
      expect(raised.body.run.budget).toEqual({ maxCostUsd: 1, maxTotalTokens: null })
      const next = yield* begin(api, runId, "worker-2")
      const resumed = { leaseOwner: "worker-2", leaseEpoch: next }
      const replay = yield* api.post(`/runs/${runId}/steps/begin`, { name: "plan", inputHash: "h", ...resumed })
      expect(replay.body).toMatchObject({ action: "return", output: "p" })
      const draft = yield* api.post(`/runs/${runId}/steps/begin`, { name: "draft", inputHash: "h", ...resumed })
      expect(draft.body.action).toBe("execute")
      yield* api.post(`/runs/${runId}/steps/${draft.body.step.id}/complete`, { leaseOwner: draft.body.leaseOwner, output: "d" })
      expect((yield* api.post(`/runs/${runId}/complete`, { result: "done", ...resumed })).body.run.status).toBe("completed")
      const types = (yield* api.get(`/runs/${runId}`)).body.events.map((e: { type: string }) => e.type)
      expect(types.filter((t: string) => t === "run.failed")).toHaveLength(1)
      expect(types).toContain("run.budget.updated")
    }))

  it.effect("a step checkpointed past the budget is kept, and the run stops right after it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api, { budget: { maxTotalTokens: 100 } })
      const epoch = yield* begin(api, runId, "worker-1")
      yield* api.post(`/runs/${runId}/usage`, { inputTokens: 90, outputTokens: 20 })
      const reply = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "answer", inputHash: "h", output: 42, leaseOwner: "worker-1", leaseEpoch: epoch })
      expect(reply.status).toBe(409)
      expect(reply.body.code).toBe("budget_exceeded")
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.steps.map((s: { name: string; status: string; output: unknown }) => [s.name, s.status, s.output])).toEqual([["answer", "completed", 42]])
      expect(detail.run.failureClass).toBe("budget_exceeded")
    }))

  it.effect("a bad budget is a 400 naming the field; null clears it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const refused = yield* api.post("/runs/usage-budget", { budget: { maxCostUsd: -2 } })
      expect(refused.status).toBe(400)
      expect(refused.body.issues[0].path).toEqual(["budget", "maxCostUsd"])
      const runId = yield* newRun(api, { budget: { maxTotalTokens: 10 } })
      expect((yield* api.patch(`/runs/${runId}`, { budget: null })).body.run.budget).toBe(null)
      expect((yield* api.patch("/runs/run_missing", { budget: null })).status).toBe(404)
    }))

  it.effect("rebuild == live after state, usage and budget writes", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const rebuilder = yield* ProjectionRebuilder
      const runId = yield* newRun(api, { budget: { maxCostUsd: 3 } })
      yield* api.put(`/runs/${runId}/state`, { value: { a: 1 } })
      yield* api.patch(`/runs/${runId}/state`, { value: { b: 2 }, stream: "other" })
      yield* api.post(`/runs/${runId}/state/save`, { label: "saved" })
      yield* api.post(`/runs/${runId}/snapshots`, { label: "snap", state: [1, null, "x"] })
      yield* api.post(`/runs/${runId}/usage`, { inputTokens: 3, costUsd: 0.1, idempotencyKey: "k" })
      yield* api.post(`/runs/${runId}/usage`, { quantity: 2.5, unit: "pages", metadata: { source: "ocr" } })
      yield* api.patch(`/runs/${runId}`, { budget: { maxCostUsd: 4 } })
      expect(yield* rebuilder.verify).toEqual([])
    }))
})
