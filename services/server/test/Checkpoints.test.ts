import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const newRun = (api: ReturnType<typeof http>, body: Record<string, unknown> = {}) =>
  Effect.map(api.post("/runs/checkpoint-test", body), (r) => r.body.run.id as string)

serverSuite("checkpoints over HTTP", (it) => {
  it.effect("a completed step returns `return` with its output and is never re-executed", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      expect(Math.abs(Date.parse((yield* api.get(`/runs/${runId}`)).body.run.createdAt) - Date.now())).toBeLessThan(60_000)
      const first = yield* api.post(`/runs/${runId}/steps/begin`, { name: "plan", inputHash: "h1" })
      expect(first.body.action).toBe("execute")
      const done = yield* api.post(`/runs/${runId}/steps/${first.body.step.id}/complete`, {
        leaseOwner: first.body.leaseOwner,
        output: { plan: ["a", "b"] }
      })
      expect(done.status).toBe(200)
      expect(done.body.step.status).toBe("completed")

      for (let i = 0; i < 3; i++) {
        const again = yield* api.post(`/runs/${runId}/steps/begin`, { name: "plan", inputHash: "h1" })
        expect(again.body.action).toBe("return")
        expect(again.body.output).toEqual({ plan: ["a", "b"] })
      }
      const detail = yield* api.get(`/runs/${runId}`)
      const started = detail.body.events.filter((e: { type: string }) => e.type === "step.started")
      expect(started).toHaveLength(1)
    }))

  it.effect("a changed inputHash answers input_mismatch, never return", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      const first = yield* api.post(`/runs/${runId}/steps/begin`, { name: "draft", inputHash: "sha256:a" })
      yield* api.post(`/runs/${runId}/steps/${first.body.step.id}/complete`, { leaseOwner: first.body.leaseOwner, output: "v1" })
      const changed = yield* api.post(`/runs/${runId}/steps/begin`, { name: "draft", inputHash: "sha256:b" })
      expect(changed.status).toBe(200)
      expect(changed.body).toMatchObject({
        action: "input_mismatch",
        expectedInputHash: "sha256:a",
        actualInputHash: "sha256:b",
        step: { status: "completed", output: "v1" }
      })
    }))

  it.effect("one call returns every completed checkpoint of a run, in step order", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      for (const name of ["a", "b", "c"]) {
        const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name, inputHash: `h-${name}` })
        yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, { leaseOwner: begun.body.leaseOwner, output: { name } })
      }
      yield* api.post(`/runs/${runId}/steps/begin`, { name: "d", inputHash: "h-d" })
      const { body } = yield* api.get(`/runs/${runId}/checkpoints`)
      expect(body.checkpoints.map((c: { name: string; inputHash: string; output: unknown }) => [c.name, c.inputHash, c.output])).toEqual([
        ["a", "h-a", { name: "a" }],
        ["b", "h-b", { name: "b" }],
        ["c", "h-c", { name: "c" }]
      ])
    }))
})
