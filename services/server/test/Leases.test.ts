import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

/** Long enough that a loaded machine still answers the "while live" checks inside it. */
const SHORT_LEASE = 800

serverSuite("leases fence every worker write", (it) => {
  it.effect("a step lease taken over after expiry fences the old owner", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/leases", {})).body.run.id
      const old = yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h", leaseMs: SHORT_LEASE })
      expect(old.body.action).toBe("execute")
      expect((yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h" })).body.action).toBe("locked")

      yield* Effect.sleep(SHORT_LEASE + 100)
      const taker = yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h" })
      expect(taker.body.action).toBe("execute")
      expect(taker.body.step.attempt).toBe(2)

      const stale = yield* api.post(`/runs/${runId}/steps/${old.body.step.id}/complete`, {
        leaseOwner: old.body.leaseOwner,
        output: "stale"
      })
      expect(stale.status).toBe(409)
      expect(stale.body.code).toBe("lease_lost")

      const fresh = yield* api.post(`/runs/${runId}/steps/${taker.body.step.id}/complete`, {
        leaseOwner: taker.body.leaseOwner,
        output: "fresh"
      })
      expect(fresh.body.step.output).toBe("fresh")
    }))

  it.effect("a live run lease refuses another owner, names the holder, and fences it after takeover", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/leases", {})).body.run.id
      const first = yield* api.post(`/runs/${runId}/begin`, { leaseMs: SHORT_LEASE }, { "x-tidebase-worker": "w1" })
      expect(first.body.leaseOwner).toBe("w1")

      const refused = yield* api.post(`/runs/${runId}/begin`, undefined, { "x-tidebase-worker": "w2" })
      expect(refused.status).toBe(409)
      expect(refused.body).toMatchObject({ leaseOwner: "w1" })
      expect(typeof refused.body.error).toBe("string")

      yield* Effect.sleep(SHORT_LEASE + 100)
      const taken = yield* api.post(`/runs/${runId}/begin`, undefined, { "x-tidebase-worker": "w2" })
      expect(taken.body).toMatchObject({ leaseOwner: "w2", run: { attempt: 2, status: "running" } })

      for (const [path, body] of [
        ["complete", { result: 1, leaseOwner: "w1" }],
        ["fail", { error: "x", leaseOwner: "w1" }],
        ["heartbeat", { leaseOwner: "w1" }],
        ["steps/begin", { name: "s", inputHash: "h", leaseOwner: "w1" }]
      ] as const) {
        const stale = yield* api.post(`/runs/${runId}/${path}`, body)
        expect([path, stale.status, stale.body.code]).toEqual([path, 409, "lease_lost"])
      }
      const staleEpoch = yield* api.post(`/runs/${runId}/complete`, { result: 1, leaseOwner: "w2", leaseEpoch: 1 })
      expect(staleEpoch.body.code).toBe("lease_lost")
      expect((yield* api.get(`/runs/${runId}`)).body.run.status).toBe("running")
    }))

  it.effect("a heartbeat extends the lease without an event and without bumping the attempt", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/leases", {})).body.run.id
      const begun = yield* api.post(`/runs/${runId}/begin`, { leaseMs: 1000 })
      const beat = yield* api.post(`/runs/${runId}/heartbeat`, { leaseOwner: begun.body.leaseOwner, leaseMs: 60_000 })
      expect(beat.status).toBe(200)
      expect(Date.parse(beat.body.run.leaseExpiresAt)).toBeGreaterThan(Date.parse(begun.body.run.leaseExpiresAt))
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.run.attempt).toBe(1)
      expect(detail.run.leaseExpiresAt).toBe(beat.body.run.leaseExpiresAt)
      expect(detail.events.map((e: { type: string }) => e.type)).toEqual(["run.created", "run.started"])

      const refused = yield* api.post(`/runs/${runId}/begin`, undefined, { "x-tidebase-worker": "other" })
      expect(refused.status).toBe(409)
    }))

  it.effect("a completed run stays completed: begin returns it as is and new steps are refused", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/leases", {})).body.run.id
      const begun = yield* api.post(`/runs/${runId}/begin`)
      yield* api.post(`/runs/${runId}/complete`, { result: { done: true }, leaseOwner: begun.body.leaseOwner })
      const again = yield* api.post(`/runs/${runId}/begin`)
      expect(again.body).toMatchObject({ run: { status: "completed", result: { done: true } }, leaseOwner: null })
      expect((yield* api.post(`/runs/${runId}/fail`, { error: "late" })).body.run.status).toBe("completed")
      const step = yield* api.post(`/runs/${runId}/steps/begin`, { name: "late", inputHash: "h" })
      expect([step.status, step.body.code]).toEqual([409, "run_completed"])
    }))
})
