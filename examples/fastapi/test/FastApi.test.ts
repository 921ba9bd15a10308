import { expect, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { spawn, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { TestServer, TestServerLive } from "../../../test/TestServer.js"

const repo = fileURLToPath(new URL("../../..", import.meta.url))
/** The first Python that can import FastAPI and uvicorn (Debian's, with python3-fastapi and python3-uvicorn); none skips. */
const python = ["python3", "/usr/bin/python3"].find((bin) => spawnSync(bin, ["-c", "import fastapi, uvicorn"]).status === 0)
const WEBHOOK_SECRET = "fastapi-example-vitest-secret"

/** examples/fastapi/tests under `python -m unittest`, against `url`: its exit code and everything it printed. */
const unittest = (bin: string, url: string) =>
  Effect.async<{ readonly code: number | null; readonly output: string }>((resume) => {
    const child = spawn(bin, ["-m", "unittest", "discover", "-s", "examples/fastapi/tests", "-v"], {
      cwd: repo,
      env: {
        ...process.env,
        TIDEBASE_TEST_URL: url,
        TIDEBASE_TEST_WEBHOOK_SECRET: WEBHOOK_SECRET,
        // The app, the worker and the test import the SDK from its sources, not from an install.
        PYTHONPATH: `${repo}packages/sdk-python/src`,
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

// A database of its own: the example's worker claims from the `default` queue, which no other suite may share.
const FastApiServer = onScratchDatabase((url) =>
  TestServerLive({ webhookSecret: Option.some(Redacted.make(WEBHOOK_SECRET)), webhookRetryMs: 100 }, url)
)

layer(FastApiServer, { excludeTestServices: true })("examples/fastapi (uvicorn app + worker over real HTTP)", (it) => {
  it.effect.skipIf(python === undefined)("the app enqueues once per topic, the worker completes it, the webhook refuses forgeries", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const { code, output } = yield* unittest(python!, url)
      expect(code, output).toBe(0)
      expect(output).toMatch(/\nOK/)
      expect(output, "no test was skipped").not.toMatch(/skipped/)
    }), 180_000)
})
