import { expect } from "@effect/vitest"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serverSuite } from "../../../test/TestServer.js"
import { newRunId, withTide } from "./Harness.js"
import { executionsAfterAck, readLog, startWorker } from "./WorkerProcess.js"

const RUNS = 50
const STEPS = 20
const KILLS = 6

serverSuite("@tidebase/sdk under random SIGKILLs", (it) => {
  it.effect(
    `${RUNS} runs of ${STEPS} steps, the worker SIGKILLed at random moments: no acknowledged step ever runs again, and every run completes`,
    () =>
      withTide(async (tide, url) => {
        const runIds = Array.from({ length: RUNS }, () => newRunId("chaos"))
        const log = join(mkdtempSync(join(tmpdir(), "tidebase-chaos-")), "steps.log")
        const env = {
          TIDEBASE_URL: url,
          TIDEBASE_WORKER_ID: newRunId("chaos-worker"),
          RUN_IDS: runIds.join(","),
          STEPS: String(STEPS),
          STEP_MS: "20",
          MIXED: "1",
          LOG: log
        }

        for (let kill = 0; kill < KILLS; kill++) {
          const worker = startWorker(env)
          const finished = worker.exited.then(() => "finished" as const)
          const working = worker.line(/^running /).then(() => "working" as const, () => "finished" as const)
          if (await Promise.race([working, finished]) === "finished") break
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 1_500))
          worker.child.kill("SIGKILL")
          await worker.exited
        }
        const last = startWorker(env)
        const { stdout } = await last.exited
        expect(stdout.split("\n").filter((l) => l.startsWith("done ") && !l.includes(" completed "))).toEqual([])

        const entries = readLog(log)
        expect(executionsAfterAck(entries)).toEqual([])
        for (const runId of runIds) {
          const detail = await tide.runs.get(runId)
          expect(detail.run.status).toBe("completed")
          expect(detail.steps.filter((s) => s.status === "completed")).toHaveLength(STEPS)
        }
        // The kills landed mid-run: some step bodies ran more than once, yet none after its acknowledgement.
        expect(entries.filter((e) => e.kind === "exec").length).toBeGreaterThanOrEqual(RUNS * STEPS)
      }),
    300_000
  )
})
