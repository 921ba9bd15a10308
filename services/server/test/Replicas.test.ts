import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

const checkpoint = (name: string, leaseOwner: string, leaseEpoch: number) => ({ name, inputHash: `h-${name}`, output: name, leaseOwner, leaseEpoch })

/** Two replicas over one database: each caches the runs it last wrote, and neither hears of the other's writes to its cache. */
layer(TestServerLive(), { excludeTestServices: true })("replicas over one database", (it) => {
  it.scoped("a replica never refuses a write from its cached run: the new lease holder's step, sent to the replica that cached the old lease, is recorded", () =>
    Effect.gen(function*() {
      const a = http((yield* TestServer).url)
      const b = http(Context.get(yield* Layer.build(TestServerLive()), TestServer).url)
      const runId = `replicas_${crypto.randomUUID()}`
      expect((yield* a.post("/runs/replicas", { runId })).status).toBe(200)
      const first: string = (yield* a.post(`/runs/${runId}/begin`, {})).body.leaseOwner
      expect((yield* a.post(`/runs/${runId}/steps/checkpoint`, checkpoint("one", first, 1))).body.action).toBe("recorded")

      // On the other replica the first holder lets go and a second invocation takes the run.
      expect((yield* b.post(`/runs/${runId}/release`, { leaseOwner: first, leaseEpoch: 1 })).body.released).toBe(true)
      const second = (yield* b.post(`/runs/${runId}/begin`, {})).body
      expect(second.run.attempt).toBe(2)

      const recorded = yield* a.post(`/runs/${runId}/steps/checkpoint`, checkpoint("two", second.leaseOwner, 2))
      expect(recorded.status).toBe(200)
      expect(recorded.body.action).toBe("recorded")
      const stale = yield* a.post(`/runs/${runId}/steps/checkpoint`, checkpoint("three", first, 1))
      expect(stale.status).toBe(409)
      expect(stale.body.code).toBe("lease_lost")
      const steps = (yield* b.get(`/runs/${runId}`)).body.steps.map((s: { name: string }) => s.name)
      expect(steps).toEqual(["one", "two"])
    }))
})
