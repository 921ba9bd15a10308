import { expect } from "@effect/vitest"
import { RunFailedError, StepLockedError, StepNotResolvableError } from "@tidebase/sdk"
import type { Tidebase } from "@tidebase/sdk"
import { serverSuite } from "../../../test/TestServer.js"
import { Crash, eventsOfType, newRunId, rejection, withTide } from "./Harness.js"

/** An unkeyed external write whose only attempt failed: parked in manual_review, locked on resume. */
const parkedWrite = async (tide: Tidebase) => {
  const runId = newRunId("resolve")
  const calls = { sends: 0, fail: true }
  const invoke = () =>
    tide.run("sending", { runId }, async (run) => {
      const sent = await run.step("send", { sideEffects: ["write"] }, () => {
        calls.sends++
        if (calls.fail) throw new Crash("timeout after send?")
        return { messageId: "from-worker" }
      })
      return { sent }
    })
  expect(await rejection(invoke)).toBeInstanceOf(Crash)
  expect(await rejection(invoke)).toBeInstanceOf(StepLockedError)
  const parked = await tide.runs.get(runId)
  expect(parked.steps[0]).toMatchObject({ name: "send", status: "manual_review" })
  return { runId, stepId: parked.steps[0]!.id, calls, invoke }
}

serverSuite("@tidebase/sdk steps.resolve", (it) => {
  it.effect("complete: the re-invoked run replays the output a person gave and finishes without running the step", () =>
    withTide(async (tide) => {
      const { calls, invoke, runId, stepId } = await parkedWrite(tide)
      const { run, step } = await tide.steps.resolve(runId, stepId, {
        action: "complete",
        output: { messageId: "from-support" },
        actor: "support@example.com",
        reason: "found it in the provider's log"
      })
      expect(step).toMatchObject({ status: "completed", resolution: "complete", resolvedBy: "support@example.com" })
      expect(run.id).toBe(runId)

      expect(await invoke()).toEqual({ sent: { messageId: "from-support" } })
      expect(calls.sends).toBe(1)
      const detail = await tide.runs.get(runId)
      expect(detail.run.status).toBe("completed")
      expect(eventsOfType(detail.events, "step.resolved")).toEqual([{
        stepId,
        name: "send",
        action: "complete",
        actor: "support@example.com",
        reason: "found it in the provider's log",
        output: { messageId: "from-support" },
        at: expect.any(String)
      }])
    }))

  it.effect("retry: the re-invoked run executes the step again and finishes with its new output", () =>
    withTide(async (tide) => {
      const { calls, invoke, runId, stepId } = await parkedWrite(tide)
      await tide.steps.resolve(runId, stepId, { action: "retry", actor: "ops" })
      calls.fail = false
      expect(await invoke()).toEqual({ sent: { messageId: "from-worker" } })
      expect(calls.sends).toBe(2)
      const detail = await tide.runs.get(runId)
      expect(detail.steps[0]).toMatchObject({ status: "completed", attempt: 2, resolution: "retry", resolvedBy: "ops" })
    }))

  it.effect("fail: the run fails for good; re-invoking it throws RunFailedError, never runs the step again and leaves the run as the person failed it", () =>
    withTide(async (tide) => {
      const { calls, invoke, runId, stepId } = await parkedWrite(tide)
      const { run } = await tide.steps.resolve(runId, stepId, { action: "fail", actor: "ops", reason: "duplicate order" })
      expect(run).toMatchObject({ status: "failed", failureClass: "manual_fail" })

      const eventsBefore = (await tide.runs.get(runId)).events.length
      calls.fail = false
      const refused = await rejection(invoke)
      expect(refused).toBeInstanceOf(RunFailedError)
      expect(refused).toMatchObject({ runId, failureClass: "manual_fail" })
      expect(calls.sends).toBe(1)
      const after = await tide.runs.get(runId)
      expect(after.run).toMatchObject({ status: "failed", failureClass: "manual_fail", leaseOwner: null })
      expect(after.events).toHaveLength(eventsBefore)
    }))

  it.effect("a step that awaits no decision is refused with StepNotResolvableError naming why", () =>
    withTide(async (tide) => {
      const { runId, stepId } = await parkedWrite(tide)
      await tide.steps.resolve(runId, stepId, { action: "retry", actor: "first" })
      const again = await rejection(() => tide.steps.resolve(runId, stepId, { action: "fail", actor: "second" }))
      expect(again).toBeInstanceOf(StepNotResolvableError)
      expect(again).toMatchObject({ code: "step_not_resolvable", runId, stepId })
      const unknown = await rejection(() => tide.steps.resolve(runId, "step_missing", { action: "retry", actor: "x" }))
      expect(unknown).toMatchObject({ _tag: "StepNotResolvableError", code: "step_not_found" })
    }))
})
