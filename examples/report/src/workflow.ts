import type { WorkflowRun } from "@tidebase/sdk"
import { fetchSources, makePlan, writeReport } from "./steps.js"

export interface ReportInput {
  readonly topic: string
}

export interface ReportOptions {
  /** Make write-report throw, after plan and fetch-sources are checkpointed. */
  readonly failWrite: boolean
  /** Make write-report take a minute, long enough to kill the process in the middle of it. */
  readonly slowWrite?: boolean
  /** Told each step as its function actually runs (replayed steps never call it). */
  readonly onExecute?: (step: string) => void
}

/** plan → fetch-sources → write-report, each a checkpoint. */
export const generateReport = (options: ReportOptions) => async (run: WorkflowRun<ReportInput>, input: ReportInput) => {
  const executing = <A>(step: string, fn: () => Promise<A>) => () => {
    options.onExecute?.(step)
    return fn()
  }
  const plan = await run.step("plan", { input }, executing("plan", () => makePlan(input)))
  const sources = await run.step("fetch-sources", executing("fetch-sources", () => fetchSources(plan)))
  return run.step(
    "write-report",
    executing("write-report", () => writeReport(plan, sources, { fail: options.failWrite, slow: options.slowWrite === true }))
  )
}
