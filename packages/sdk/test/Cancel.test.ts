import { expect } from "@effect/vitest"
import { RunAlreadyCompletedError, RunCancelledError } from "@tidebase/sdk"
import { serverSuite } from "../../../test/TestServer.js"
import { newRunId, rejection, withTide } from "./Harness.js"

serverSuite("@tidebase/sdk cancellation", (it) => {
  it.effect("a run cancelled while it works stops at its next step: the run rejects with RunCancelledError (reason, actor) and the next step never runs", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const ran: Array<string> = []
      const error = await rejection(() =>
        tide.run("cancel-me", { runId }, async (run) => {
          await run.step("first", async () => {
            ran.push("first")
            await tide.runs.cancel(runId, { reason: "not needed", actor: "user:ana" })
            return 1
          })
          await run.step("second", () => ran.push("second"))
        }))
      expect(error).toBeInstanceOf(RunCancelledError)
      expect(error).toMatchObject({ runId, reason: "not needed", actor: "user:ana" })
      expect(ran).toEqual(["first"])
      const again = await rejection(() => tide.run("cancel-me", { runId }, async () => "never"))
      expect(again).toBeInstanceOf(RunCancelledError)
      expect((await tide.runs.get(runId)).run).toMatchObject({ status: "cancelled", cancelActor: "user:ana" })
    }))

  it.effect("tide.runs.cancel on a completed run rejects with RunAlreadyCompletedError and the run keeps its result", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      await tide.run("finishes", { runId }, async () => "result")
      const error = await rejection(() => tide.runs.cancel(runId))
      expect(error).toBeInstanceOf(RunAlreadyCompletedError)
      expect((await tide.runs.get(runId)).run).toMatchObject({ status: "completed", result: "result" })
    }))

  it.effect("a step in flight stops when its run is cancelled: its signal aborts, the run rejects with RunCancelledError at once, and the step's late result is never recorded", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let started!: () => void
      const running = new Promise<void>((resolve) => (started = resolve))
      let aborted = false
      let finishLate!: (value: string) => void
      const outcome = rejection(() =>
        tide.run("cancel-in-flight", { runId }, async (run) => {
          await run.step("quick", () => "fast")
          return run.step("slow", ({ signal }) => {
            signal.addEventListener("abort", () => (aborted = true))
            started()
            // Ignores the signal on purpose: the step is abandoned, its result refused.
            return new Promise<string>((resolve) => (finishLate = resolve))
          })
        }))
      await running
      await new Promise((resolve) => setTimeout(resolve, 100))
      const cancelledAt = Date.now()
      await tide.runs.cancel(runId, { reason: "too slow", actor: "ops" })
      const error = await outcome
      const stoppedAfter = Date.now() - cancelledAt
      expect(error).toBeInstanceOf(RunCancelledError)
      expect(error).toMatchObject({ reason: "too slow", actor: "ops" })
      expect(aborted).toBe(true)
      expect(stoppedAfter).toBeLessThan(2_000)
      finishLate("late")
      await new Promise((resolve) => setTimeout(resolve, 100))
      const detail = await tide.runs.get(runId)
      expect(detail.run.status).toBe("cancelled")
      expect(detail.steps.find((s) => s.name === "slow")?.status ?? "never started").not.toBe("completed")
      expect(detail.events.filter((e) => e.type === "step.completed")).toHaveLength(1)
    }))
})

