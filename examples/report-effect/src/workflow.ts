import { Workflow } from "@tidebase/effect"
import { Effect, Schedule, Schema } from "effect"
import { fetchSources, makePlan, Plan, Source, writeReport } from "./steps.js"

export interface ReportInput {
  readonly topic: string
}

/** plan → fetch-sources → write-report as Effects; each step is a checkpoint of the current run. */
export const generateReport = (options: { readonly failWrite: boolean }) => (input: ReportInput) =>
  Effect.gen(function*() {
    const plan = yield* Workflow.step("plan", { input, output: Plan }, makePlan(input.topic))
    const sources = yield* Workflow.step(
      "fetch-sources",
      {
        output: Schema.Array(Source),
        sideEffects: ["read"],
        retries: Schedule.exponential("200 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
        timeout: "30 seconds"
      },
      fetchSources(plan)
    )
    return yield* Workflow.step("write-report", writeReport(plan, sources, options.failWrite))
  })
