import { expect } from "@effect/vitest"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serverSuite } from "../../../test/TestServer.js"
import { newRunId, withTide } from "./Harness.js"
import { executions, readLog, startWorker } from "./WorkerProcess.js"

/** The suite server's step lease: a resume that waited for it would take at least this long. */
const STEP_LEASE_MS = 60_000
const newLog = () => join(mkdtempSync(join(tmpdir(), "tidebase-crash-")), "steps.log")

/** Starts a worker on `runId`, waits until its slow step `step-1` runs (and the server shows it running), then stops it with `signal`. */
const crashInSlowStep = async (url: string, runId: string, log: string, signal: NodeJS.Signals, env: Record<string, string> = {}) => {
  const worker = startWorker({ TIDEBASE_URL: url, RUN_IDS: runId, STEPS: "3", SLOW_STEP: "step-1", LOG: log, ...env })
  await worker.line(new RegExp(`running ${runId} step-1`))
  // Long enough for a step without side effects to have announced itself (announceAfterMs: 50).
  await new Promise((resolve) => setTimeout(resolve, 300))
  worker.child.kill(signal)
  return worker.exited
}

/** Re-runs `runId` in a new process (fast steps) and reports how it ended and how long its `tide.run` took. */
const rerun = async (url: string, runId: string, log: string, env: Record<string, string> = {}) => {
  const worker = startWorker({ TIDEBASE_URL: url, RUN_IDS: runId, STEPS: "3", LOG: log, ...env })
  const done = await worker.line(new RegExp(`done ${runId} `))
  await worker.exited
  const [, , outcome, ms] = done.split(" ")
  return { outcome, ms: Number(ms) }
}

serverSuite("@tidebase/sdk resume after a crash", (it) => {
  it.effect("a worker killed with SIGKILL mid-step: a new process resumes within the run lease and executes the pure step again, never the completed one", () =>
    withTide(async (tide, url) => {
      const runId = newRunId("kill9")
      const log = newLog()
      await crashInSlowStep(url, runId, log, "SIGKILL", { LEASE_MS: "2000" })
      expect((await tide.runs.get(runId)).steps.find((s) => s.name === "step-1")?.status).toBe("running")

      const { ms, outcome } = await rerun(url, runId, log, { LEASE_MS: "2000" })
      expect(outcome).toBe("completed")
      expect(ms).toBeLessThan(STEP_LEASE_MS / 2)
      const entries = readLog(log)
      expect(executions(entries, runId, "step-0")).toBe(1)
      expect(executions(entries, runId, "step-1")).toBe(2)
      expect(executions(entries, runId, "step-2")).toBe(1)
      const step = (await tide.runs.get(runId)).steps.find((s) => s.name === "step-1")
      expect(step).toMatchObject({ status: "completed", attempt: 2 })
    }))

  it.effect("a worker killed mid-step with an unkeyed side effect: the re-run parks that step in manual_review and never runs it twice", () =>
    withTide(async (tide, url) => {
      const runId = newRunId("kill9-email")
      const log = newLog()
      const env = { LEASE_MS: "2000", SIDE_EFFECTS: "email" }
      await crashInSlowStep(url, runId, log, "SIGKILL", env)

      const { outcome } = await rerun(url, runId, log, env)
      expect(outcome).toBe("StepLockedError")
      expect(executions(readLog(log), runId, "step-1")).toBe(1)
      const detail = await tide.runs.get(runId)
      expect(detail.steps.find((s) => s.name === "step-1")).toMatchObject({ status: "manual_review", resumeDecision: "manual_review" })
      expect(detail.run).toMatchObject({ status: "failed", failureClass: "manual_review" })
    }))

  it.effect("Ctrl-C (SIGINT) gives the run's lease back and the process still ends by the signal, so an immediate re-run resumes at once", () =>
    withTide(async (tide, url) => {
      const runId = newRunId("sigint")
      const log = newLog()
      // A lease far longer than the re-run may take: only the release lets it start at once.
      const env = { LEASE_MS: String(STEP_LEASE_MS) }
      const exit = await crashInSlowStep(url, runId, log, "SIGINT", env)
      expect(exit.signal).toBe("SIGINT")
      expect((await tide.runs.get(runId)).run.leaseOwner).toBeNull()

      const { ms, outcome } = await rerun(url, runId, log, env)
      expect(outcome).toBe("completed")
      expect(ms).toBeLessThan(STEP_LEASE_MS / 2)
      expect(executions(readLog(log), runId, "step-0")).toBe(1)
    }))

  it.effect("a worker restarted under the same TIDEBASE_WORKER_ID takes its run back at once, without waiting out its lease", () =>
    withTide(async (_tide, url) => {
      const runId = newRunId("worker-id")
      const log = newLog()
      const env = { LEASE_MS: String(STEP_LEASE_MS), TIDEBASE_WORKER_ID: `worker-${runId}` }
      await crashInSlowStep(url, runId, log, "SIGKILL", env)

      const { ms, outcome } = await rerun(url, runId, log, env)
      expect(outcome).toBe("completed")
      expect(ms).toBeLessThan(STEP_LEASE_MS / 2)
      expect(executions(readLog(log), runId, "step-1")).toBe(2)
    }))
}, { stepLeaseMs: STEP_LEASE_MS })
