import { NodeRuntime } from "@effect/platform-node"
import { Tidebase, Workflow } from "@tidebase/effect"
import type { StepRecord } from "@tidebase/effect"
import { Console, Effect } from "effect"
import { generateReport } from "./workflow.js"

const resumeId = process.env.TIDEBASE_RUN_ID
const runId = resumeId ?? `report_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`
const topic = process.argv[2] ?? "durable AI agents"

const summary = (journal: ReadonlyArray<StepRecord>) => {
  const names = (outcome: StepRecord["outcome"]) => journal.filter((r) => r.outcome === outcome).map((r) => r.name).join(", ") || "(none)"
  return Console.log(`\nReplayed from checkpoints: ${names("replayed")}\nCheckpointed now: ${names("executed")}`)
}

const program = Effect.gen(function*() {
  yield* Console.log(`${resumeId === undefined ? "Starting" : "Resuming"} run ${runId}`)
  const report = yield* Workflow.run("generate-report", { runId, input: { topic } }, (input) =>
    generateReport({ failWrite: process.env.FAIL_WRITE === "1" })(input).pipe(
      Effect.ensuring(Effect.flatMap(Workflow.journal, summary))
    ))
  yield* Console.log(`\nRun ${runId} completed:\n\n${report}`)
}).pipe(
  Effect.tapError((error) =>
    Console.error(`\nRun ${runId} failed: ${error.message}\nResume it:\n  TIDEBASE_RUN_ID=${runId} npm run example:effect`)
  ),
  // TIDEBASE_URL / TIDEBASE_API_KEY from the environment, like any other service's config.
  Effect.provide(Tidebase.Default)
)

NodeRuntime.runMain(program, { disableErrorReporting: true })
