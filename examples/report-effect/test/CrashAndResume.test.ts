import { expect } from "@effect/vitest"
import { StepFailedError, Tidebase, Workflow } from "@tidebase/effect"
import { Effect, Layer } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"
import { WriterCrashed } from "../src/steps.js"
import { generateReport } from "../src/workflow.js"

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url })))

serverSuite("examples/report-effect", (it) =>
  it.layer(TidebaseTest)((it) => {
    it.effect("the Effect workflow crashes in write-report, then resumes with plan and fetch-sources replayed (Dates intact)", () =>
      Effect.gen(function*() {
        const runId = `report-effect-${crypto.randomUUID()}`
        const invoke = (failWrite: boolean) =>
          Workflow.run("generate-report", { runId, input: { topic: "tides" } }, (input) =>
            Effect.zip(generateReport({ failWrite })(input), Workflow.journal))

        const crash = yield* Effect.flip(invoke(true))
        expect(crash).toBeInstanceOf(StepFailedError)
        expect(crash).toMatchObject({ step: "write-report", resumeDecision: "safe_replay" })
        expect((crash as StepFailedError).error).toBeInstanceOf(WriterCrashed)

        const [report, journal] = yield* invoke(false)
        expect(journal).toEqual([
          { name: "plan", outcome: "replayed" },
          { name: "fetch-sources", outcome: "replayed" },
          { name: "write-report", outcome: "executed" }
        ])
        expect(report).toMatch(/^# tides/)
        expect(report).toMatch(/fetched \d{4}-\d\d-\d\dT/)
      }))
  }))
