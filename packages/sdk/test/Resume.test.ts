import { expect } from "@effect/vitest"
import { InputMismatchError } from "@tidebase/sdk"
import { serverSuite } from "../../../test/TestServer.js"
import { Crash, eventsOfType, newRunId, rejection, withTide } from "./Harness.js"

serverSuite("@tidebase/sdk resume", (it) => {
  it.effect("crash then resume never re-executes a completed step", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const calls = { plan: 0, fetch: 0, write: 0 }
      const crash = { on: true }
      const report = () =>
        tide.run("generate-report", { runId, input: { topic: "tides" } }, async (run, input) => {
          const plan = await run.step("plan", () => {
            calls.plan++
            return { topic: input.topic, sections: ["intro", "body"] }
          })
          const sources = await run.step("fetch-sources", async () => {
            calls.fetch++
            return plan.sections.map((s: string) => `${s}.md`)
          })
          return run.step("write-report", () => {
            calls.write++
            if (crash.on) throw new Crash("writer died")
            return { report: sources.join("+"), replayed: run.replayed, executed: run.executed }
          })
        })

      const error = await rejection(report)
      expect(error).toBeInstanceOf(Crash)
      crash.on = false
      const result = await report()
      expect(result).toEqual({ report: "intro.md+body.md", replayed: ["plan", "fetch-sources"], executed: [] })
      expect(calls).toEqual({ plan: 1, fetch: 1, write: 2 })

      const detail = await tide.runs.get(runId)
      expect(detail.run.status).toBe("completed")
      const started = eventsOfType(detail.events, "step.started").map((e) => e.name)
      expect(started).toEqual(["plan", "fetch-sources", "write-report", "write-report"])
      expect(await report()).toEqual(result)
    }))

  it.effect("the seed's resume snippet runs as written and resumes by runId", () =>
    withTide(async (tide) => {
      const runId = newRunId("seed")
      const executed: Array<string> = []
      let failWrite = true
      const makePlan = (input: unknown) => (executed.push("plan"), { input })
      const fetchSources = (plan: unknown) => (executed.push("fetch-sources"), [plan])
      const writeReport = (sources: Array<unknown>) => {
        executed.push("write-report")
        if (failWrite) throw new Error("dies after fetch-sources")
        return `report from ${sources.length} source(s)`
      }
      const invoke = () =>
        tide.run("generate-report", { runId }, async (run, input) => {
          const plan = await run.step("plan", () => makePlan(input))
          const sources = await run.step("fetch-sources", () => fetchSources(plan))
          return run.step("write-report", () => writeReport(sources))
        })

      await rejection(invoke)
      failWrite = false
      expect(await invoke()).toBe("report from 1 source(s)")
      expect(executed).toEqual(["plan", "fetch-sources", "write-report", "write-report"])
    }))

  it.effect("input hashing ignores object key order, and changed input is refused", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let executions = 0
      const invoke = (input: unknown, crash: boolean) =>
        tide.run("hashing", { runId }, async (run) => {
          await run.step("plan", { input }, () => ++executions)
          if (crash) throw new Crash("after plan")
          return run.replayed
        })

      await rejection(() => invoke({ topic: "tides", options: { depth: 2, lang: "en" } }, true))
      expect(await invoke({ options: { lang: "en", depth: 2 }, topic: "tides" }, false)).toEqual(["plan"])
      expect(executions).toBe(1)

      const other = newRunId()
      await rejection(() =>
        tide.run("hashing", { runId: other }, async (run) => {
          await run.step("plan", { input: { topic: "tides" } }, () => 1)
          throw new Crash("after plan")
        })
      )
      const refused = await rejection(() =>
        tide.run("hashing", { runId: other }, (run) => run.step("plan", { input: { topic: "waves" } }, () => 2))
      )
      expect(refused).toBeInstanceOf(InputMismatchError)
    }))
})
