import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>

const CANCELLERS = 20

/** A run begun by a worker, with one step running under its lease. */
const runningRun = (api: Api) =>
  Effect.gen(function*() {
    const runId = (yield* api.post("/runs/cancel-demo", {})).body.run.id as string
    const leaseOwner = (yield* api.post(`/runs/${runId}/begin`, {})).body.leaseOwner as string
    const step = (yield* api.post(`/runs/${runId}/steps/begin`, { name: "charge", inputHash: "h", leaseOwner })).body.step
    return { runId, leaseOwner, stepId: step.id as string }
  })

const eventTypes = (api: Api, runId: string) =>
  Effect.map(api.get(`/runs/${runId}/events`, { accept: "application/json" }), (r) => r.body.events.map((e: { type: string }) => e.type) as Array<string>)

serverSuite("cancellation", (it) => {
  it.effect("a cancelled run stays cancelled: step begin answers cancelled, a late step result, complete and fail never resurrect it, heartbeat answers run_cancelled", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { leaseOwner, runId, stepId } = yield* runningRun(api)
      const cancelled = yield* api.post(`/runs/${runId}/cancel`, { reason: "user asked", actor: "user:ana" })
      expect(cancelled.status).toBe(200)
      expect(cancelled.body.run).toMatchObject({ status: "cancelled", cancelReason: "user asked", cancelActor: "user:ana", leaseOwner: null })
      expect(cancelled.body.run.cancelledAt).toEqual(cancelled.body.run.cancelRequestedAt)

      const begin = yield* api.post(`/runs/${runId}/steps/begin`, { name: "next", inputHash: "h", leaseOwner })
      expect(begin.body).toEqual({ action: "cancelled", reason: "user asked", actor: "user:ana" })
      const late = yield* api.post(`/runs/${runId}/steps/${stepId}/complete`, { leaseOwner, output: "too late" })
      expect([late.status, late.body.code]).toEqual([409, "run_cancelled"])
      const heartbeat = yield* api.post(`/runs/${runId}/heartbeat`, { leaseOwner })
      expect([heartbeat.status, heartbeat.body.code]).toEqual([409, "run_cancelled"])
      yield* api.post(`/runs/${runId}/complete`, { result: "done", leaseOwner })
      yield* api.post(`/runs/${runId}/fail`, { error: "boom", leaseOwner })
      const rebegin = yield* api.post(`/runs/${runId}/begin`, {})
      expect([rebegin.status, rebegin.body.code]).toEqual([409, "run_cancelled"])

      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.run).toMatchObject({ status: "cancelled", result: null, cancelReason: "user asked" })
      expect(detail.steps[0]).toMatchObject({ status: "running", output: null })
      expect(yield* eventTypes(api, runId)).toEqual(["run.created", "run.started", "step.started", "run.cancelled"])
    }))

  it.effect("20 concurrent cancels of one run append one run.cancelled; every caller gets the cancelled run", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId } = yield* runningRun(api)
      const replies = yield* Effect.all(
        Array.from({ length: CANCELLERS }, (_, i) => api.post(`/runs/${runId}/cancel`, { actor: `canceller-${i}` })),
        { concurrency: "unbounded" }
      )
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200))
      const actors = new Set(replies.map((r) => r.body.run.cancelActor))
      expect(actors.size).toBe(1)
      expect((yield* eventTypes(api, runId)).filter((t) => t === "run.cancelled")).toHaveLength(1)
    }))

  it.effect("a completed run cannot be cancelled: 409 run_completed, and it stays completed", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { leaseOwner, runId } = yield* runningRun(api)
      yield* api.post(`/runs/${runId}/complete`, { result: { ok: true }, leaseOwner })
      const refused = yield* api.post(`/runs/${runId}/cancel`, {})
      expect(refused.status).toBe(409)
      expect(refused.body.run.status).toBe("completed")
      expect((yield* api.get(`/runs/${runId}`)).body.run).toMatchObject({ status: "completed", result: { ok: true }, cancelledAt: null })
    }))

  it.effect("cancelling resolves every pending gate `canceled` in the same append, and no gate opens afterwards", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId } = yield* runningRun(api)
      const first = (yield* api.post(`/runs/${runId}/gates/begin`, { name: "approve", prompt: "ok?" })).body.gate
      const second = (yield* api.post(`/runs/${runId}/gates/begin`, { name: "review", prompt: "ok?" })).body.gate
      yield* api.post(`/runs/${runId}/gates/${second.id}/resolve`, { token: second.resolveToken, decision: "approved", actor: "bob" })
      yield* api.post(`/runs/${runId}/cancel`, { actor: "ops" })

      const gate = (yield* api.get(`/runs/${runId}/gates/${first.id}`)).body
      expect(gate).toMatchObject({ runStatus: "cancelled", gate: { status: "canceled", decision: "canceled", actor: "ops" } })
      expect((yield* api.get(`/runs/${runId}/gates/${second.id}`)).body.gate).toMatchObject({ status: "approved", actor: "bob" })
      const late = yield* api.post(`/runs/${runId}/gates/begin`, { name: "another", prompt: "?" })
      expect([late.status, late.body.code]).toEqual([409, "run_cancelled"])
      const types = yield* eventTypes(api, runId)
      expect(types.slice(-2)).toEqual(["run.cancelled", "gate.resolved"])
    }))

  it.effect("cancel of an unknown run is a 404; a reason that is not text is a 400 naming it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const missing = yield* api.post("/runs/no-such-run/cancel", {})
      expect([missing.status, missing.body.code]).toEqual([404, "run_not_found"])
      const { runId } = yield* runningRun(api)
      const bad = yield* api.post(`/runs/${runId}/cancel`, { reason: 42 })
      expect(bad.status).toBe(400)
      expect(bad.body.error).toContain("reason")
      expect((yield* api.get(`/runs/${runId}`)).body.run.status).toBe("running")
      const empty = yield* api.post(`/runs/${runId}/cancel`)
      expect(empty.body.run).toMatchObject({ status: "cancelled", cancelActor: "api", cancelReason: null })
    }))
})
