import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { spawn, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { TestServer, TestServerLive } from "../../../test/TestServer.js"

const repo = fileURLToPath(new URL("../../..", import.meta.url))
/** Any Python 3 (the example needs only the standard library, the SDK's sources and the local `agents` stand-in). */
const python = ["python3", "/usr/bin/python3"].find((bin) => spawnSync(bin, ["--version"]).status === 0)

/** examples/openai-agents/tests under `python -m unittest`, against `url`: its exit code and everything it printed. */
const unittest = (bin: string, url: string) =>
  Effect.async<{ readonly code: number | null; readonly output: string }>((resume) => {
    const child = spawn(bin, ["-m", "unittest", "discover", "-s", "examples/openai-agents/tests", "-v"], {
      cwd: repo,
      env: { ...process.env, TIDEBASE_TEST_URL: url, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" }
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("close", (code) => resume(Effect.succeed({ code, output })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const AgentsServer = onScratchDatabase((url) => TestServerLive({}, url))

layer(AgentsServer, { excludeTestServices: true })("examples/openai-agents (crash after research, resume)", (it) => {
  it.effect.skipIf(python === undefined)("a re-run after a crash in the writer does not re-run research", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const { code, output } = yield* unittest(python!, url)
      expect(code, output).toBe(0)
      expect(output).toMatch(/\nOK/)
      expect(output, "no test was skipped").not.toMatch(/skipped/)
    }), 180_000)
})
