import { expect } from "@effect/vitest"
import { serverSuite } from "../../../test/TestServer.js"
import { eventsOfType, newRunId, withTide } from "./Harness.js"

// Long enough that a heartbeat delayed by a loaded machine (CI runs suites in parallel on 2 cores) still lands in time.
const LEASE_MS = 2000

serverSuite("@tidebase/sdk run leases", (it) => {
  it.effect("a heartbeat keeps the run's lease while its body outlives the lease; a second caller waits and gets the result", () =>
    withTide(async (tide) => {
      const runId = newRunId("lease")
      let executions = 0
      const invoke = () =>
        tide.run("long-step", { runId, leaseMs: LEASE_MS }, (run) =>
          run.step("slow", async () => {
            executions++
            await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 4))
            return "done"
          }))

      const first = invoke()
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2))
      const second = invoke()
      expect(await Promise.all([first, second])).toEqual(["done", "done"])
      expect(executions).toBe(1)

      const detail = await tide.runs.get(runId)
      expect(eventsOfType(detail.events, "run.started")).toHaveLength(1)
      expect(detail.run.status).toBe("completed")
    }))
})
