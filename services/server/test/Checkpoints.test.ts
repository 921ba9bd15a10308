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
  })
