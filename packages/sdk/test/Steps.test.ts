import { expect } from "@effect/vitest"
import { StepLockedError, StepTimeoutError } from "@tidebase/sdk"
import { serverSuite } from "../../../test/TestServer.js"
import { Crash, eventsOfType, newRunId, rejection, withTide } from "./Harness.js"

serverSuite("@tidebase/sdk steps", (it) => {
  it.effect("a retryable failure re-begins the step with a fresh lease and the success is checkpointed", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let attempts = 0
      const invoke = (crash: boolean) =>
        tide.run("retrying", { runId }, async (run) => {
          const value = await run.step("flaky", { retries: 2 }, () => {
            attempts++
            if (attempts === 1) throw new Crash("transient")
            return "ok"
          })
          if (crash) throw new Crash("after flaky")
          return value
        })

      await rejection(() => invoke(true))
      expect(attempts).toBe(2)
      const detail = await tide.runs.get(runId)
      const started = eventsOfType(detail.events, "step.started")
      expect(started.map((s) => s.attempt)).toEqual([1, 2])
      expect(Date.parse(started[1]!.leaseExpiresAt)).toBeGreaterThan(Date.parse(started[0]!.leaseExpiresAt))
      expect(eventsOfType(detail.events, "step.failed").map((f) => [f.resumeDecision, f.status])).toEqual([
        ["auto_retry", "failed_retryable"]
      ])
      expect(detail.steps[0]).toMatchObject({ status: "completed", output: "ok", attempt: 2 })

      expect(await invoke(false)).toBe("ok")
      expect(attempts).toBe(2)
    }))

  it.effect("a step timeout fails the step", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const error = await rejection(() =>
        tide.run("timing-out", { runId }, (run) =>
          run.step("slow", { timeoutMs: 50 }, () => new Promise((resolve) => setTimeout(resolve, 2_000))))
      )
      expect(error).toBeInstanceOf(StepTimeoutError)
      const detail = await tide.runs.get(runId)
      expect(detail.steps[0]).toMatchObject({ status: "failed", resumeDecision: "safe_replay" })
      expect(detail.steps[0]?.error).toMatchObject({ name: "StepTimeoutError" })
      expect(detail.run).toMatchObject({ status: "failed", failureClass: "safe_replay" })
    }))

  it.effect("the final failure of a step with no side effects carries decision safe_replay and is replayed on resume", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let fail = true
      const invoke = () =>
        tide.run("pure", { runId }, (run) =>
          run.step("summarise", () => {
            if (fail) throw new Crash("model refused")
            return "summary"
          }))
      const error = await rejection(invoke)
      expect(error).toBeInstanceOf(Crash)
      const failed = await tide.runs.get(runId)
      expect(failed.steps[0]).toMatchObject({ status: "failed", resumeDecision: "safe_replay" })
      expect(failed.run).toMatchObject({ status: "failed", failureClass: "safe_replay" })
      expect(failed.run.error).toMatchObject({ message: "model refused", step: "summarise" })

      fail = false
      expect(await invoke()).toBe("summary")
    }))

  it.effect("an unkeyed external write parks in manual_review and is not re-run on resume", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let sends = 0
      const invoke = () =>
        tide.run("emailing", { runId }, (run) =>
          run.step("send-email", { sideEffects: ["email"] }, () => {
            sends++
            throw new Crash("smtp timeout after send?")
          }))
      expect(await rejection(invoke)).toBeInstanceOf(Crash)
      const parked = await tide.runs.get(runId)
      expect(parked.steps[0]).toMatchObject({ status: "manual_review", resumeDecision: "manual_review" })
      expect(parked.run.failureClass).toBe("manual_review")

      const locked = await rejection(invoke)
      expect(locked).toBeInstanceOf(StepLockedError)
      expect(locked).toMatchObject({ step: "send-email", resumeDecision: "manual_review" })
      expect(sends).toBe(1)
    }))

  it.effect("a keyed external write's final failure is safe to replay", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      await rejection(() =>
        tide.run("keyed", { runId }, (run) =>
          run.step("charge", { sideEffects: ["stripe"], idempotencyKey: `charge-${runId}` }, () => {
            throw new Crash("declined")
          }))
      )
      const detail = await tide.runs.get(runId)
      expect(detail.steps[0]).toMatchObject({ status: "failed", resumeDecision: "safe_replay" })
      expect(detail.steps[0]?.resumeContract).toMatchObject({ sideEffects: ["stripe"], idempotencyKey: `charge-${runId}` })
    }))

  it.effect("a step without side effects runs before it is recorded, and one past announceAfterMs shows as running", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const seen = await tide.run("announced", { runId }, async (run) => {
        const quick = await run.step("quick", async () => (await tide.runs.get(runId)).steps.map((s) => s.name))
        const slow = await run.step("slow", { announceAfterMs: 50 }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 400))
          return (await tide.runs.get(runId)).steps.map((s) => [s.name, s.status])
        })
        return { quick, slow }
      })
      expect(seen).toEqual({ quick: [], slow: [["quick", "completed"], ["slow", "running"]] })
      const detail = await tide.runs.get(runId)
      expect(detail.steps.map((s) => [s.name, s.status])).toEqual([["quick", "completed"], ["slow", "completed"]])
    }))
})
