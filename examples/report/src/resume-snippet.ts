// The resume snippet from "How to resume a failed AI agent run", verbatim between the markers,
// with stand-ins for its three functions. Run it twice with the same TIDEBASE_RUN_ID:
//   FAIL_WRITE=1 TIDEBASE_RUN_ID=demo-1 node --import tsx examples/report/src/resume-snippet.ts
//   TIDEBASE_RUN_ID=demo-1 node --import tsx examples/report/src/resume-snippet.ts
import { fetchSources, makePlan as plan, writeReport as write } from "./steps.js"

const runId = process.env.TIDEBASE_RUN_ID ?? `snippet_${Date.now()}`
let planned: Awaited<ReturnType<typeof plan>> | undefined
const makePlan = async (input: { topic?: string }) => (planned = await plan({ topic: input.topic ?? "checkpoints" }))
const writeReport = async (sources: Awaited<ReturnType<typeof fetchSources>>) =>
  write(planned ?? (await plan({ topic: "checkpoints" })), sources, { fail: process.env.FAIL_WRITE === "1" })

// --- snippet ---
import { Tidebase } from '@tidebase/sdk'

const tide = new Tidebase()

// First invocation: dies after fetch-sources
// Second invocation with the same runId: plan and fetch-sources
// replay from checkpoints, write-report runs for the first time.
await tide.run('generate-report', { runId }, async (run, input) => {
  const plan = await run.step('plan', () => makePlan(input))
  const sources = await run.step('fetch-sources', () => fetchSources(plan))
  return run.step('write-report', () => writeReport(sources))
})
// --- end snippet ---

console.log(`run ${runId} completed`)
await tide.close()
