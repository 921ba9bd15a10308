import { expect } from "@effect/vitest"
import { Tidebase } from "@tidebase/sdk"
import { Effect } from "effect"
import { execFile, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const webhook = fileURLToPath(new URL("../src/webhook.ts", import.meta.url))

/** `npm run example:webhook` in its own process, on a free port; answers its URL and everything it printed. */
const startWebhook = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; output: () => string; stop: () => void }>((resume) => {
      const child = spawn(process.execPath, ["--import", "tsx", webhook], { env: { ...process.env, ...env, WEBHOOK_PORT: "0" } })
      let output = ""
      let started = false
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8")
        const url = /listening on (\S+)/.exec(output)?.[1]
        if (url !== undefined && !started) {
          started = true
          resume(Effect.succeed({ url, output: () => output, stop: () => child.kill("SIGTERM") }))
        }
      })
    }),
    (hook) => Effect.sync(hook.stop)
  )

const runExample = (env: Record<string, string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    execFile(process.execPath, ["--import", "tsx", main], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })))
  })

serverSuite("examples/report with a recovery webhook", (it) => {
  it.scoped("the report crashes in write-report; the server calls the app's webhook with run.resume, which resumes it: plan and fetch-sources replay, the run completes", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const hook = yield* startWebhook({ TIDEBASE_URL: url })
      const crashed = yield* runExample({ TIDEBASE_URL: url, FAIL_WRITE: "1", RECOVERY_WEBHOOK: hook.url })
      expect(crashed.code).toBe(1)
      expect(crashed.stderr).toContain("with run.resume")
      const runId = /(report_[0-9a-f]+)/.exec(crashed.stdout)?.[1]
      expect(runId).toBeDefined()

      const tide = new Tidebase({ url })
      let detail = yield* Effect.promise(() => tide.runs.get(runId!))
      for (let i = 0; i < 400 && detail.run.status !== "completed"; i++) {
        yield* Effect.sleep("25 millis")
        detail = yield* Effect.promise(() => tide.runs.get(runId!))
      }
      yield* Effect.promise(() => tide.close())
      expect(detail.run.status).toBe("completed")
      expect(detail.recoveryAttempts).toMatchObject([{ status: "delivered", reason: "failed", httpStatus: 202 }])
      const started = detail.events.filter((e) => e.type === "step.started").map((e) => (e.payload as { name: string }).name)
      expect(started).toEqual(["plan", "fetch-sources", "write-report", "write-report"])
      yield* Effect.sleep("100 millis")
      expect(hook.output()).toContain(`"type":"run.resume","runId":"${runId}"`)
      expect(hook.output()).toContain(`run ${runId} resumed: replayed plan, fetch-sources; completed`)
    }))
})
