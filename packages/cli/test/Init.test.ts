import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCli } from "../../../test/Cli.js"
import { AGENTS_BLOCK, withBlock } from "../src/Init.js"

const dir = () => mkdtempSync(join(tmpdir(), "tidebase-init-"))

describe("tidebase init", () => {
  it("writes AGENTS.md once: a second run changes nothing", async () => {
    const project = dir()
    const first = await runCli(["init", "--dir", project], {})
    expect(first.code).toBe(0)
    const written = readFileSync(join(project, "AGENTS.md"), "utf8")
    expect(written).toBe(AGENTS_BLOCK)
    const second = await runCli(["init", "--dir", project], {})
    expect(second.stdout).toContain("up to date")
    expect(readFileSync(join(project, "AGENTS.md"), "utf8")).toBe(written)
  })

  it("an existing AGENTS.md keeps its other content, before and after the block", () => {
    const project = dir()
    const file = join(project, "AGENTS.md")
    writeFileSync(file, "# Agents\n\nRun the tests with npm test.\n")
    const added = withBlock(readFileSync(file, "utf8"))
    expect(added.startsWith("# Agents\n\nRun the tests with npm test.\n\n")).toBe(true)
    expect(added).toContain("Wrap every side-effecting or paid call in a step")
    const stale = added.replace("Resume by run id", "Resume by something else") + "\n## Later section\n"
    const refreshed = withBlock(stale)
    expect(refreshed).toBe(added + "\n## Later section\n")
    expect(withBlock(refreshed)).toBe(refreshed)
  })
})
