import { expect } from "@effect/vitest"
import { Tidebase } from "@tidebase/sdk"
import { Effect } from "effect"
import { execFile, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url))

/** The example exactly as `npm run example` starts it, in its own process. */
const runExample = (env: Record<string, string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    execFile(process.execPath, ["--import", "tsx", main], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })))
  })

serverSuite("examples/report", (it) => {
  it.effect("FAIL_WRITE=1 crashes after two checkpoints; TIDEBASE_RUN_ID resumes, replaying plan and fetch-sources and running only write-report", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const crashed = yield* runExample({ TIDEBASE_URL: url, FAIL_WRITE: "1" })
      expect(crashed.code).toBe(1)
      expect(crashed.stderr).toContain("the writer crashed after two checkpoints")
      const runId = /TIDEBASE_RUN_ID=(\S+)/.exec(crashed.stderr)?.[1]
      expect(runId).toBeDefined()

      const resumed = yield* runExample({ TIDEBASE_URL: url, TIDEBASE_RUN_ID: runId! })
      expect(resumed.code).toBe(0)
      expect(resumed.stdout).toContain("Replayed from checkpoints: plan, fetch-sources")
      expect(resumed.stdout).toContain("Executed: write-report")
      expect(resumed.stdout).not.toContain("plan: executing")

      const tide = new Tidebase({ url })
      const detail = yield* Effect.promise(() => tide.runs.get(runId!))
      yield* Effect.promise(() => tide.close())
      expect(detail.run.status).toBe("completed")
      const started = detail.events.filter((e) => e.type === "step.started").map((e) => (e.payload as { name: string }).name)
      expect(started).toEqual(["plan", "fetch-sources", "write-report", "write-report"])
    }))
})

/** The example started as its own process, killed with SIGKILL once it says write-report is under way. */
const killedInWriteReport = (env: Record<string, string>) =>
  Effect.async<{ runId: string; stdout: string }>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", main], { env: { ...process.env, ...env } })
    let stdout = ""
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      const pid = /kill -9 (\d+)/.exec(stdout)?.[1]
      if (pid !== undefined && Number(pid) === child.pid) child.kill("SIGKILL")
    })
    child.on("exit", () => resume(Effect.succeed({ runId: /run (\S+) on/.exec(stdout)?.[1] ?? "", stdout })))
  })

serverSuite("examples/report, killed for real", (it) => {
  it.effect("SLOW_WRITE=1 killed with kill -9 in write-report; TIDEBASE_RUN_ID resumes after the run lease and runs write-report again", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const killed = yield* killedInWriteReport({ TIDEBASE_URL: url, SLOW_WRITE: "1" })
      expect(killed.stdout).toContain("write-report: executing")
      expect(killed.runId).not.toBe("")

      const resumed = yield* runExample({ TIDEBASE_URL: url, TIDEBASE_RUN_ID: killed.runId })
      expect(resumed.code).toBe(0)
      expect(resumed.stdout).toContain("Replayed from checkpoints: plan, fetch-sources")
      expect(resumed.stdout).toContain("Executed: write-report")
    }))
}, { runLeaseMs: 2_000 })
