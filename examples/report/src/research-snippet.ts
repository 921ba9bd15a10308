// The research-agent snippet from "How to checkpoint AI agent workflows in Postgres", verbatim
// between the markers, with stand-ins for its LLM and search tool. The app creates the run with
// its question (the snippet reads it from `input`); the snippet then runs it:
//   TIDEBASE_RUN_ID=research-1 node --import tsx examples/report/src/research-snippet.ts
// While it runs, `curl -N http://localhost:7373/runs/research-1/events` shows `state.updated`.
import { Tidebase as App } from "@tidebase/sdk"
import { fetchSources, makePlan, writeReport } from "./steps.js"
import type { Plan, Source } from "./steps.js"

const runId = process.env.TIDEBASE_RUN_ID ?? `research_${Date.now()}`
const app = new App()
await app.runs.create("research-agent", { runId, input: { question: process.env.QUESTION ?? "how do checkpoints work" } })
await app.close()

const llm = {
  plan: (question: string) => makePlan({ topic: question }),
  write: (docs: ReadonlyArray<Source>) => writeReport(planOf(docs), docs, { fail: false }),
  polish: async (draft: string) => `${draft.trim()}\n\n(reviewed)`
}
const searchTools = { gather: (plan: Plan) => fetchSources(plan) }
const planOf = (docs: ReadonlyArray<Source>): Plan => ({ topic: "research", sections: docs.map((d) => d.section) })

// --- snippet ---
import { Tidebase } from '@tidebase/sdk'

const tide = new Tidebase()

await tide.run('research-agent', { runId }, async (run, input) => {
  const plan = await run.step('plan', () => llm.plan(input.question))
  const docs = await run.step('search', () => searchTools.gather(plan))
  const draft = await run.step('draft', () => llm.write(docs))

  await run.state.set({ status: 'reviewing', progress: 0.9 })

  return run.step('finalize', () => llm.polish(draft))
})
// --- end snippet ---

console.log(`run ${runId} completed`)
await tide.close()
