import { Effect, Either } from "effect"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { optionOf, parseArgs } from "./Args.js"

export const initUsage = "tidebase init [--dir PATH]"

const BEGIN = "<!-- tidebase:begin (written by `tidebase init`; edit outside these markers) -->"
const END = "<!-- tidebase:end -->"

/** What a coding agent working in this project should know about Tidebase. */
export const AGENTS_BLOCK = `${BEGIN}
## Tidebase: durable steps for agent workflows

This project checkpoints its agent workflows with Tidebase (\`@tidebase/sdk\`, \`@tidebase/effect\`, or
the \`tidebase\` Python package). When you write or change a workflow:

- **Wrap every side-effecting or paid call in a step**: LLM calls, tool calls, HTTP requests, emails,
  payments, writes to other systems. \`await run.step("name", () => call())\`. A completed step is
  never run again when the run resumes; its recorded output is returned instead.
- **Step names are stable and unique within a run** (\`"plan"\`, \`"search:\${query}"\`): a resume matches
  checkpoints by name and input. Do not put timestamps or random values in names or step inputs.
- **Declare side effects and give idempotency keys**: \`run.step("charge", fn, { sideEffects: true,
  idempotencyKey: orderId })\`, and pass the key to the provider. A step with side effects and no key
  that was interrupted is parked for a person (\`manual_review\`) instead of being repeated.
- **Resume by run id**: re-invoke the same workflow with the same \`runId\` after a crash, deploy or
  timeout. Persist the run id where the request or job lives; do not create a new run to retry.
- **Keep non-deterministic work inside steps**: code between steps runs again on every resume.
- **Use gates for human approval** (\`run.gate(name, prompt)\`), state for progress a UI shows
  (\`run.state.set\`), and usage records for tokens and cost (\`run.usage.record\`).
- **Never use Tidebase as a job runner for code it does not checkpoint**: queues and schedules start
  workflows whose work is in steps; a long function with no steps gains nothing from it.
- Debug a run with \`npx tidebase show <runId>\` and \`npx tidebase replay <runId> [--seq N]\`; re-run from a
  point with \`npx tidebase fork <runId> --after-step NAME\`.
${END}
`

/** The file's text with the block in place: replaced between its markers, else appended. */
export const withBlock = (current: string | undefined): string => {
  if (current === undefined || current.trim() === "") return AGENTS_BLOCK
  const start = current.indexOf(BEGIN)
  const end = current.indexOf(END)
  if (start !== -1 && end > start) {
    const after = current.slice(end + END.length).replace(/^\n/, "")
    return `${current.slice(0, start)}${AGENTS_BLOCK}${after}`
  }
  return `${current.replace(/\n*$/, "\n")}\n${AGENTS_BLOCK}`
}

/** `tidebase init`: writes (or refreshes) the Tidebase block of AGENTS.md; a second run changes nothing. */
export const initCommand = (args: ReadonlyArray<string>): Effect.Effect<void> =>
  Either.match(parseArgs(args, { dir: "value" }), {
    onLeft: (problem) =>
      Effect.sync(() => {
        console.error(`tidebase init: ${problem}\nusage: ${initUsage}`)
        process.exitCode = 2
      }),
    onRight: (parsed) =>
      Effect.sync(() => {
        const file = join(resolve(optionOf(parsed, "dir") ?? "."), "AGENTS.md")
        const current = existsSync(file) ? readFileSync(file, "utf8") : undefined
        const next = withBlock(current)
        if (next === current) return console.log(`${file}: the Tidebase block is up to date`)
        writeFileSync(file, next)
        console.log(`${file}: ${current === undefined ? "written" : "Tidebase block " + (current.includes(BEGIN) ? "updated" : "added")}`)
      })
  })
