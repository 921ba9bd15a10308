import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const eventTypes = (api: ReturnType<typeof http>, runId: string) =>
  Effect.map(api.get(`/runs/${runId}/events`, { accept: "application/json" }), (r) => r.body.events.map((e: { type: string }) => e.type) as Array<string>)

serverSuite("begin that creates", (it) => {
  it.effect("begin with create makes a missing run and begins it in one append; without create a missing run is a 404", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = `begin-create-${crypto.randomUUID()}`
      const missing = yield* api.post(`/runs/${runId}/begin`, { workflowName: "report" })
      expect([missing.status, missing.body.code]).toEqual([404, "run_not_found"])
      const begun = yield* api.post(`/runs/${runId}/begin`, { workflowName: "report", create: { input: { topic: "tides" }, deadlineMs: 60_000 } })
      expect(begun.status).toBe(200)
      expect(begun.body).toMatchObject({ created: true, seq: 2, run: { id: runId, status: "running", input: { topic: "tides" }, attempt: 1 } })
      expect(begun.body.run.deadlineAt).not.toBeNull()
      expect(yield* eventTypes(api, runId)).toEqual(["run.created", "run.started"])
      const again = yield* api.post(`/runs/${runId}/begin`, { workflowName: "report", create: { input: { topic: "other" } } }, {
        "x-tidebase-worker": begun.body.leaseOwner
      })
      expect(again.body.created).toBeUndefined()
      expect(again.body.run.input).toEqual({ topic: "tides" })
      const other = yield* api.post(`/runs/${runId}/begin`, { workflowName: "other", create: {} })
      expect([other.status, other.body.code]).toEqual([409, "workflow_mismatch"])
    }))

  it.effect("20 concurrent begins that create one run id make one run: one is granted, the others find its lease", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = `begin-create-race-${crypto.randomUUID()}`
      const replies = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) =>
          api.post(`/runs/${runId}/begin`, { workflowName: "race", create: { input: { i } } }, { "x-tidebase-worker": `w${i}` })),
        { concurrency: "unbounded" }
      )
      expect(replies.filter((r) => r.status === 200)).toHaveLength(1)
      expect(replies.filter((r) => r.status === 409).every((r) => r.body.leaseOwner !== undefined)).toBe(true)
      expect((yield* eventTypes(api, runId)).filter((t) => t === "run.created")).toHaveLength(1)
    }))
})
