import { Tidebase } from "@tidebase/effect"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { optionOf } from "./Args.js"
import { intOption, printJson, remoteCommand, UsageError } from "./Remote.js"
import { bold, status } from "./Render.js"

export const forkUsage =
  "tidebase fork <runId> [--after-step NAME | --at-seq N] [--set-output NAME=JSON | NAME=@file.json]... [--input JSON|@file.json] [--run-id ID] [--json] [--url URL]"

/** JSON given inline, or `@path` to read it from a file. */
const jsonArg = (what: string, text: string) =>
  Effect.try({
    try: () => JSON.parse(text.startsWith("@") ? readFileSync(text.slice(1), "utf8") : text) as unknown,
    catch: (e) => new UsageError(`${what}: ${e instanceof Error ? e.message : String(e)} (quote a string: '"text"')`)
  })

export const forkCommand = (args: ReadonlyArray<string>) =>
  remoteCommand("fork", forkUsage, { "after-step": "value", "at-seq": "value", "set-output": "value", input: "value", "run-id": "value" }, args, (parsed, json) =>
    Effect.gen(function*() {
      if (parsed.positional.length !== 1) return yield* Effect.fail(new UsageError("expected one <runId>"))
      const source = parsed.positional[0]!
      const stepOutputs: Record<string, unknown> = {}
      for (const edit of parsed.options.get("set-output") ?? []) {
        const eq = edit.indexOf("=")
        if (eq <= 0) return yield* Effect.fail(new UsageError("--set-output takes NAME=JSON or NAME=@file.json"))
        stepOutputs[edit.slice(0, eq)] = yield* jsonArg(`--set-output ${edit.slice(0, eq)}`, edit.slice(eq + 1))
      }
      const input = optionOf(parsed, "input")
      const atSeq = yield* intOption(parsed, "at-seq")
      const afterStep = optionOf(parsed, "after-step")
      const runId = optionOf(parsed, "run-id")
      const fork = yield* (yield* Tidebase).runs.fork(source, {
        ...(atSeq === undefined ? {} : { atSeq }),
        ...(afterStep === undefined ? {} : { afterStep }),
        ...(runId === undefined ? {} : { runId }),
        ...(input === undefined ? {} : { input: yield* jsonArg("--input", input) }),
        ...(Object.keys(stepOutputs).length === 0 ? {} : { stepOutputs })
      })
      if (json) return yield* printJson(fork)
      const steps = fork.steps.map((s) => `${s.name}${Object.hasOwn(stepOutputs, s.name) ? " (edited)" : ""}`).join(", ")
      console.log(
        `forked ${source} at seq ${fork.forkedAtSeq} as ${bold(fork.run.id)} (${status(fork.run.status)})\n` +
          `checkpoints: ${steps === "" ? "none" : steps}\n` +
          `re-run it: invoke workflow ${fork.run.workflowName} with runId ${fork.run.id}; those steps replay and the rest execute`
      )
    }))
