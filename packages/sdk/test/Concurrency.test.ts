import { expect } from "@effect/vitest"
import { serverSuite } from "../../../test/TestServer.js"
import { eventsOfType, newRunId, withTide } from "./Harness.js"

serverSuite("@tidebase/sdk under contention", (it) => {
  it.effect("10 concurrent tide.run calls with one client-chosen runId create one run and execute each step once", () =>
    withTide(async (tide) => {
      const runId = newRunId("contended")
      const workflowName = `contended-${runId}`
      const calls = { plan: 0, fetch: 0, write: 0 }
      const invoke = () =>
        tide.run(workflowName, { runId, input: { topic: "tides" } }, async (run, input) => {
          const plan = await run.step("plan", async () => (calls.plan++, `plan for ${input.topic}`))
          const sources = await run.step("fetch-sources", async () => (calls.fetch++, [plan]))
          return run.step("write-report", async () => (calls.write++, `${sources.length} source(s)`))
        })

      const started = performance.now()
      const results = await Promise.all(Array.from({ length: 10 }, invoke))
      // The suite's run lease is 30 s: a caller that orphaned a lease would wait it out.
      expect(performance.now() - started).toBeLessThan(15_000)
      expect(new Set(results)).toEqual(new Set(["1 source(s)"]))
      expect(calls).toEqual({ plan: 1, fetch: 1, write: 1 })

      const runs = await tide.runs.list({ workflowName })
      expect(runs.map((r) => r.id)).toEqual([runId])
      const detail = await tide.runs.get(runId)
      expect(eventsOfType(detail.events, "run.created")).toHaveLength(1)
      expect(eventsOfType(detail.events, "step.started")).toHaveLength(3)
      expect(detail.run.status).toBe("completed")
    }))
})
