import { expect } from "@effect/vitest"
import { DuplicateStepName, UnserializableOutput, WorkflowMismatch } from "@tidebase/sdk"
import type { RunDetail } from "@tidebase/sdk"
import { serverSuite } from "../../../test/TestServer.js"
import { Crash, newRunId, rejection, withTide } from "./Harness.js"

const running = (detail: RunDetail) => detail.steps.filter((s) => s.status === "running").map((s) => s.name)

/** A promise and the function that settles it, to hold a workflow mid-run. */
const latch = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

serverSuite("@tidebase/sdk mistakes", (it) => {
  it.effect("a step name used twice in one invocation throws DuplicateStepName naming the fix, on first run and on resume", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let calls = 0
      const invoke = (crashAfterFirst: boolean) =>
        tide.run("duplicate-names", { runId }, async (run) => {
          const first = await run.step("fetch", () => (calls++, "a.md"))
          if (crashAfterFirst) throw new Crash("stop after the first fetch")
          return [first, await run.step("fetch", () => (calls++, "b.md"))]
        })

      expect(await rejection(() => invoke(true))).toBeInstanceOf(Crash)
      // Before, the second call returned the first one's checkpoint ("a.md") without running.
      const error = await rejection(() => invoke(false))
      expect(error).toBeInstanceOf(DuplicateStepName)
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({ name: "DuplicateStepName", step: "fetch", runId })
      expect((error as Error).message).toContain("fetch:${i}")
      expect(calls).toBe(1)

      const concurrent = await rejection(() =>
        tide.run("duplicate-names", { runId: newRunId() }, (run) =>
          Promise.all([run.step("fetch", () => "a.md"), run.step("fetch", () => "b.md")])))
      expect(concurrent).toBeInstanceOf(DuplicateStepName)

      const detail = await tide.runs.get(runId)
      expect(detail.steps.map((s) => [s.name, s.status, s.output])).toEqual([["fetch", "completed", "a.md"]])
      expect(running(detail)).toEqual([])
    }))

  it.effect("running an existing run as another workflow throws WorkflowMismatch before its body runs, and writes nothing to the run", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      await rejection(() => tide.run("report", { runId }, (run) => run.step("plan", () => { throw new Crash("down") })))
      const eventsBefore = (await tide.runs.get(runId)).events.length
      let bodies = 0
      const error = await rejection(() => tide.run("summary", { runId }, () => bodies++))
      expect(error).toBeInstanceOf(WorkflowMismatch)
      expect(error).toMatchObject({ name: "WorkflowMismatch", runId, workflowName: "summary", runWorkflowName: "report" })
      expect((error as Error).message).toContain(`belongs to workflow "report"`)
      expect(bodies).toBe(0)
      const after = await tide.runs.get(runId)
      expect(after.run).toMatchObject({ workflowName: "report", status: "failed", leaseOwner: null })
      expect(after.events).toHaveLength(eventsBefore)
      expect(after.steps.map((s) => [s.name, s.status])).toEqual([["plan", "failed"]])

      // The mismatched begin took no lease: the real workflow resumes at once.
      const started = Date.now()
      expect(await tide.run("report", { runId, leaseMs: 30_000 }, (run) => run.step("plan", () => "outline"))).toBe("outline")
      expect(Date.now() - started).toBeLessThan(5_000)
      const detail = await tide.runs.get(runId)
      expect(detail.run).toMatchObject({ workflowName: "report", status: "completed", result: "outline" })
      expect(running(detail)).toEqual([])

      const completed = await rejection(() => tide.run("summary", { runId }, () => bodies++))
      expect(completed).toBeInstanceOf(WorkflowMismatch)
      expect(bodies).toBe(0)
    }))

  it.effect("a WorkflowMismatch is thrown at once even while the other workflow holds the run's lease", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const hold = latch()
      const planned = latch()
      const report = tide.run("report", { runId }, async (run) => {
        await run.step("plan", () => "outline")
        planned.open()
        await hold.opened
        return "done"
      })
      await planned.opened
      const started = Date.now()
      const error = await rejection(() => tide.run("summary", { runId }, () => "never"))
      expect(error).toBeInstanceOf(WorkflowMismatch)
      expect(Date.now() - started).toBeLessThan(5_000)
      hold.open()
      expect(await report).toBe("done")
      const detail = await tide.runs.get(runId)
      expect(detail.run).toMatchObject({ workflowName: "report", status: "completed" })
    }))

  it.effect("a BigInt output throws UnserializableOutput naming the step and the path, and writes nothing for a step without side effects", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const error = await rejection(() =>
        tide.run("totals", { runId }, async (run) => {
          await run.step("plan", () => "outline")
          return run.step("count", () => ({ items: [{ id: 1 }, { id: 2 }, { id: 3n }] }))
        }))
      expect(error).toBeInstanceOf(UnserializableOutput)
      expect(error).toMatchObject({ name: "UnserializableOutput", step: "count", path: "$.items[2].id" })
      expect((error as Error).message).toContain("$.items[2].id is a BigInt")
      const detail = await tide.runs.get(runId)
      expect(detail.steps.map((s) => s.name)).toEqual(["plan"])
      expect(detail.run.status).toBe("failed")
    }))

  it.effect("an unserializable output fails a leased or announced step instead of leaving it running", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const leased = await rejection(() =>
        tide.run("unstorable", { runId }, (run) =>
          run.step("charge", { sideEffects: ["stripe"], idempotencyKey: "charge-1" }, () => new Map([["amount", 5]]))))
      expect(leased).toMatchObject({ _tag: "UnserializableOutput", step: "charge", path: "$" })

      const announced = newRunId()
      const slow = await rejection(() =>
        tide.run("unstorable", { runId: announced }, (run) =>
          run.step("ratio", { announceAfterMs: 10 }, async () => {
            await new Promise((resolve) => setTimeout(resolve, 150))
            return { ratio: Number.NaN }
          })))
      expect(slow).toMatchObject({ _tag: "UnserializableOutput", step: "ratio", path: "$.ratio" })

      for (const id of [runId, announced]) {
        const detail = await tide.runs.get(id)
        expect(running(detail)).toEqual([])
        expect(detail.steps).toHaveLength(1)
        expect(detail.steps[0]).toMatchObject({ status: "failed", resumeDecision: "safe_replay" })
        expect(detail.steps[0]?.error).toMatchObject({ name: "UnserializableOutput" })
      }
    }))

  it.effect("a replayed output mutated by the caller does not change the next replay", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const original = { tags: ["tide"], limits: { depth: 3 } }
      const invoke = (mutate: boolean) =>
        tide.run("mutating", { runId }, async (run) => {
          const config = await run.step("config", () => structuredClone(original))
          if (mutate) {
            config.tags.push("mutated")
            config.limits.depth = 99
            throw new Crash("after mutating")
          }
          return config
        })

      await rejection(() => invoke(true))
      await rejection(() => invoke(true))
      expect(await invoke(false)).toEqual(original)
      expect((await tide.runs.get(runId)).steps[0]?.output).toEqual(original)
    }))

  it.effect("a Date output comes back as its ISO string on replay (JSON has no dates)", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const at = new Date("2026-01-02T03:04:05.678Z")
      const invoke = (crash: boolean) =>
        tide.run("dated", { runId }, async (run) => {
          const stamped = await run.step("stamp", () => ({ at }))
          if (crash) throw new Crash("after stamping")
          return stamped
        })
      await rejection(() => invoke(true))
      expect(await invoke(false)).toEqual({ at: "2026-01-02T03:04:05.678Z" })
    }))
})
