import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const CLIENTS = 20

serverSuite("contention on one run", (it) => {
  it.effect("20 concurrent first begins of one step grant execute to exactly one", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/contention", {})).body.run.id
      const replies = yield* Effect.all(
        Array.from({ length: CLIENTS }, () => api.post(`/runs/${runId}/steps/begin`, { name: "charge", inputHash: "h" })),
        { concurrency: "unbounded" }
      )
      const actions = replies.map((r) => r.body.action)
      expect(actions.filter((a) => a === "execute")).toHaveLength(1)
      expect(actions.filter((a) => a === "locked")).toHaveLength(CLIENTS - 1)
    }))

  it.effect("20 concurrent creates with one client-chosen run id make one run", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = `client-chosen-${Date.now()}`
      const replies = yield* Effect.all(
        Array.from({ length: CLIENTS }, () => api.post("/runs/contention", { runId, input: { n: 1 } })),
        { concurrency: "unbounded" }
      )
      expect(replies.every((r) => r.status === 200 && r.body.run.id === runId)).toBe(true)
      expect(replies.filter((r) => r.body.created)).toHaveLength(1)
      const events = (yield* api.get(`/runs/${runId}/events`, { accept: "application/json" })).body.events
      expect(events.map((e: { type: string }) => e.type)).toEqual(["run.created"])
    }))

  it.effect("20 concurrent writers on one run leave seq gap-free and ordered", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/contention", {})).body.run.id
      yield* Effect.all(
        Array.from({ length: CLIENTS }, (_, i) =>
          Effect.gen(function*() {
            const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name: `step-${i}`, inputHash: "h" })
            yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, {
              leaseOwner: begun.body.leaseOwner,
              output: i
            })
          })),
        { concurrency: "unbounded" }
      )
      const events = (yield* api.get(`/runs/${runId}/events`, { accept: "application/json" })).body.events
      expect(events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 1 + 2 * CLIENTS }, (_, i) => i + 1))
      const positions = events.map((e: { position: number }) => e.position)
      expect([...positions].sort((a, b) => a - b)).toEqual(positions)
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.steps.filter((s: { status: string }) => s.status === "completed")).toHaveLength(CLIENTS)
    }))
})
