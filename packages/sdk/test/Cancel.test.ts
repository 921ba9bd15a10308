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
})
