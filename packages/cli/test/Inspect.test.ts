import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { writeFileSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCli } from "../../../test/Cli.js"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>

const cli = (url: string, ...args: Array<string>) => Effect.promise(() => runCli(args, { TIDEBASE_URL: url }))

/** A run of three steps whose last one failed: what a person debugs. */
const crashedRun = (api: Api, workflow: string) =>
  Effect.gen(function*() {
    const runId = (yield* api.post(`/runs/${workflow}`, { input: { topic: "tides" } })).body.run.id as string
    yield* api.post(`/runs/${runId}/begin`, { workflowName: workflow })
    for (const name of ["plan", "search"]) {
      const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name, inputHash: name })
      yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, { leaseOwner: begun.body.leaseOwner, output: { from: name } })
    }
    const write = yield* api.post(`/runs/${runId}/steps/begin`, { name: "write", inputHash: "write" })
    yield* api.post(`/runs/${runId}/steps/${write.body.step.id}/fail`, { leaseOwner: write.body.leaseOwner, error: { message: "writer died" } })
    return runId
  })

serverSuite("the tidebase CLI against a server", (it) => {
  it.effect("replay --json parses and equals the API's replay, at a seq and at the latest", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const runId = yield* crashedRun(api, "cli-replay")
      const atFour = yield* cli(url, "replay", runId, "--seq", "4", "--json")
      expect(atFour.code).toBe(0)
      expect(JSON.parse(atFour.stdout)).toEqual((yield* api.get(`/runs/${runId}/replay?seq=4`)).body)
      const latest = yield* cli(url, "replay", runId, "--json")
      expect(JSON.parse(latest.stdout)).toEqual((yield* api.get(`/runs/${runId}/replay`)).body)
    }))

  it.effect("replay and show print a plain timeline and summary when piped (no colour codes)", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const runId = yield* crashedRun(http(url), "cli-show")
      const replay = yield* cli(url, "replay", runId, "--seq", "3")
      expect(replay.code).toBe(0)
      expect(replay.stdout).toContain("◀ seq 3")
      expect(replay.stdout).toContain("as of seq 3 of")
      expect(replay.stdout).not.toContain("\u001b[")
      const show = yield* cli(url, "show", runId)
      expect(show.stdout).toMatch(/plan\s+completed/)
      expect(show.stdout).toMatch(/write\s+failed/)
      const events = yield* cli(url, "events", runId, "--json")
      expect(events.stdout.trim().split("\n").map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    }))

  it.effect("runs lists runs filtered by workflow; fork --after-step --set-output @file makes a fork with the edited output", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const runId = yield* crashedRun(api, "cli-fork")
      const listed = yield* cli(url, "runs", "--workflow", "cli-fork", "--json")
      expect(JSON.parse(listed.stdout).map((r: { id: string }) => r.id)).toEqual([runId])
      const file = join(mkdtempSync(join(tmpdir(), "tidebase-cli-")), "plan.json")
      writeFileSync(file, JSON.stringify({ from: "a person" }))
      const forked = yield* cli(url, "fork", runId, "--after-step", "plan", "--set-output", `plan=@${file}`, "--json")
      expect(forked.code).toBe(0)
      const fork = JSON.parse(forked.stdout)
      expect(fork.steps.map((s: { name: string; output: unknown }) => [s.name, s.output])).toEqual([["plan", { from: "a person" }]])
      expect((yield* api.get(`/runs/${runId}`)).body.steps[0].output).toEqual({ from: "plan" })
    }))

  it.effect("exit codes: 1 for a run that does not exist, 2 for a usage mistake", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const missing = yield* cli(url, "show", "run_does_not_exist")
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain("run_does_not_exist")
      const usage = yield* cli(url, "replay", "some-run", "--seq", "x")
      expect(usage.code).toBe(2)
      expect(usage.stderr).toContain("--seq must be a whole number")
    }))
})
