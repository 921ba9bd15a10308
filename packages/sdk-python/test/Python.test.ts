import { expect, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { spawn, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { TestServer, TestServerLive } from "../../../test/TestServer.js"

const repo = fileURLToPath(new URL("../../..", import.meta.url))
/** The first Python that can import FastAPI (Debian's, with python3-fastapi), so the FastAPI seed runs too; else `python3`. */
const python = ["python3", "/usr/bin/python3"].find((bin) => spawnSync(bin, ["-c", "import fastapi"]).status === 0) ?? "python3"
const hasPython = spawnSync(python, ["--version"]).status === 0
const WEBHOOK_SECRET = "python-sdk-vitest-secret"

/** The Python suite as `python3 -m unittest` runs it, against `url`: its exit code and everything it printed. */
const unittest = (url: string) =>
  Effect.async<{ readonly code: number | null; readonly output: string }>((resume) => {
    const child = spawn(python, ["-m", "unittest", "discover", "-s", "packages/sdk-python/tests", "-v"], {
      cwd: repo,
      env: {
        ...process.env,
        TIDEBASE_TEST_URL: url,
        TIDEBASE_TEST_WEBHOOK_SECRET: WEBHOOK_SECRET,
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONUNBUFFERED: "1"
      }
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("close", (code) => resume(Effect.succeed({ code, output })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

// A database of its own: the Python worker tests claim from the `default` queue, which no other suite may share.
const PythonServer = onScratchDatabase((url) => TestServerLive({ webhookSecret: Option.some(Redacted.make(WEBHOOK_SECRET)), webhookRetryMs: 100 }, url))

layer(PythonServer, { excludeTestServices: true })("@tidebase python sdk (packages/sdk-python)", (it) => {
  it.effect.skipIf(!hasPython)("python3 -m unittest passes against a real server", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const { code, output } = yield* unittest(url)
      expect(code, output).toBe(0)
      expect(output).toMatch(/\nOK/)
    }), 600_000)
})
