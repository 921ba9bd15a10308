import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const STEPS = 250

serverSuite("large runs", (it) => {
  it.effect("a long run reads complete through GET /runs/:id and page by page through /steps and /events, in the same order", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/large", {})).body.run.id
      const { leaseOwner } = (yield* api.post(`/runs/${runId}/begin`, {})).body
      for (let i = 0; i < STEPS; i++) {
        const recorded = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: `s${i}`, inputHash: `h${i}`, output: { i }, leaseOwner })
        expect(recorded.body.action).toBe("recorded")
      }
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.steps.map((s: { name: string }) => s.name)).toEqual(Array.from({ length: STEPS }, (_, i) => `s${i}`))
      expect(detail.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 2 + 2 * STEPS }, (_, i) => i + 1))
      expect(detail.steps[7]).toMatchObject({ runId, name: "s7", status: "completed", output: { i: 7 }, inputHash: "h7" })
      expect(detail.steps[7].completedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

      const paged: Array<unknown> = []
      let after = 0
      for (let page = 0; page < 10; page++) {
        const { body, status } = yield* api.get(`/runs/${runId}/steps?after=${after}&limit=100`)
        expect(status).toBe(200)
        paged.push(...body.steps)
        if (body.next === null) break
        after = body.next
      }
      expect(paged).toEqual(detail.steps)

      const events = (yield* api.get(`/runs/${runId}/events?after=5&limit=10`, { accept: "application/json" })).body.events
      expect(events.map((e: { seq: number }) => e.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
      expect(events).toEqual(detail.events.slice(5, 15))

      const { checkpoints } = (yield* api.get(`/runs/${runId}/checkpoints`)).body
      expect(checkpoints).toHaveLength(STEPS)
      expect(checkpoints[STEPS - 1]).toMatchObject({ name: `s${STEPS - 1}`, inputHash: `h${STEPS - 1}`, output: { i: STEPS - 1 } })
    }))

  it.effect("paging an unknown run is a 404, and a bad page size is a 400 naming the field", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      expect((yield* api.get(`/runs/run_nope/steps`)).status).toBe(404)
      const runId = (yield* api.post("/runs/large", {})).body.run.id
      const bad = yield* api.get(`/runs/${runId}/steps?limit=0`)
      expect(bad.status).toBe(400)
      expect(JSON.stringify(bad.body.issues)).toContain("limit")
      const empty = yield* api.get(`/runs/${runId}/steps`)
      expect(empty.body).toEqual({ steps: [], next: null })
    }))
})
