import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startWorker } from "../packages/sdk/test/WorkerProcess.js"
import { verdict } from "./report.js"
import type { BenchContext, Section } from "./section.js"

const CTRL_C_TARGET_MS = 1_000
/** The server's default run lease: a killed worker's run must resume within it, never after a step lease. */
const KILL_TARGET_MS = 15_000

/**
 * A worker stopped by `signal` inside a slow step, then the same run invoked again by a new
 * process: how long that invocation's `tide.run` takes to resume and finish the run (process
 * start-up excluded, so the figure is the server's and the SDK's, not node's).
 */
const resumeAfter = async (context: BenchContext, signal: NodeJS.Signals) => {
  const dir = mkdtempSync(join(tmpdir(), "tidebase-bench-crash-"))
  try {
    const runId = `bench_crash_${crypto.randomUUID()}`
    const env = { TIDEBASE_URL: context.env.serverUrl, RUN_IDS: runId, STEPS: "3", LOG: join(dir, "steps.log") }
    const crashed = startWorker({ ...env, SLOW_STEP: "step-1" })
    await crashed.line(new RegExp(`running ${runId} step-1`))
    await new Promise((resolve) => setTimeout(resolve, 300))
    crashed.child.kill(signal)
    await crashed.exited
    const rerun = startWorker(env)
    const [, , outcome, ms] = (await rerun.line(new RegExp(`done ${runId} `))).split(" ")
    await rerun.exited
    return { outcome, ms: Number(ms) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const note = (what: string, { ms, outcome }: { readonly ms: number; readonly outcome: string | undefined }, targetMs: number) =>
  `${what}: re-run ${outcome} in ${ms} ms ${verdict(ms, "≤", targetMs, " ms")}`

export const crashResumeSection: Section = {
  name: "resume after Ctrl-C and after kill -9 (default leases)",
  run: async (context) => ({
    figures: [],
    notes: [
      note("Ctrl-C mid-step, then re-run", await resumeAfter(context, "SIGINT"), CTRL_C_TARGET_MS),
      note("kill -9 mid-step, then re-run (waits out the 15 s run lease, not the 5 min step lease)", await resumeAfter(context, "SIGKILL"), KILL_TARGET_MS)
    ]
  })
}
