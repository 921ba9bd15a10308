import { Tidebase } from "@tidebase/sdk"
import { generateReport } from "./workflow.js"

const url = process.env.TIDEBASE_URL ?? "http://localhost:7373"
const resumeId = process.env.TIDEBASE_RUN_ID
const failWrite = process.env.FAIL_WRITE === "1"
const slowWrite = process.env.SLOW_WRITE === "1"
// Where the server posts `run.resume` if this run fails (see `npm run example:webhook`).
const recoveryWebhook = process.env.RECOVERY_WEBHOOK || undefined
const runId = resumeId ?? `report_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`
const topic = process.argv[2] ?? "durable AI agents"

const tide = new Tidebase({ url })
console.log(`${resumeId === undefined ? "Starting" : "Resuming"} run ${runId} on ${url} (pid ${process.pid})`)

const executed: Array<string> = []
let replayed: ReadonlyArray<string> = []
const workflow = generateReport({
  failWrite,
  slowWrite,
  onExecute: (step) => {
    executed.push(step)
    console.log(`  ▶ ${step}: executing`)
    if (slowWrite && step === "write-report") {
      console.log(`    (SLOW_WRITE=1: this takes a minute. Crash it for real: kill -9 ${process.pid}`)
      console.log(`     then resume it: TIDEBASE_RUN_ID=${runId} npm run example)`)
    }
  }
})

const summary = () => {
  console.log(`\nReplayed from checkpoints: ${replayed.length === 0 ? "(none)" : replayed.join(", ")}`)
  console.log(`Executed: ${executed.length === 0 ? "(none)" : executed.join(", ")}`)
}

try {
  const report = await tide.run("generate-report", { runId, input: { topic }, ...(recoveryWebhook === undefined ? {} : { recoveryWebhook }) }, async (run, input) => {
    try {
      return await workflow(run, input)
    } finally {
      replayed = run.replayed
    }
  })
  summary()
  console.log(`\nRun ${runId} completed:\n\n${report}`)
} catch (error) {
  summary()
  console.error(`\nRun ${runId} failed: ${error instanceof Error ? error.message : String(error)}`)
  console.error(recoveryWebhook === undefined
    ? `Resume it (plan and fetch-sources replay, only write-report runs):\n  TIDEBASE_RUN_ID=${runId} npm run example`
    : `The server calls ${recoveryWebhook} with run.resume: the webhook resumes it (plan and fetch-sources replay, only write-report runs).`)
  process.exitCode = 1
} finally {
  await tide.close()
}
