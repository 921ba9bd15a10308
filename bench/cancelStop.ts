import { Tidebase } from "@tidebase/sdk"
import { verdict } from "./report.js"
import type { Section } from "./section.js"

const TARGET_MS = 50
const ROUNDS = 30
/** Long enough that the run's cancel watch (opened 50 ms into a run) is in place, as for any step worth cancelling. */
const STEP_RUNNING_MS = 200

/**
 * A workflow's step is in flight; the bench cancels the run over HTTP and times until the step's
 * `signal` aborts (one process, one clock): the path is the run's live event stream, not a poll.
 */
const stopLatencies = async (url: string) => {
  const tide = new Tidebase({ url })
  const samples: Array<number> = []
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const runId = `bench_cancel_${crypto.randomUUID()}`
      let started!: () => void
      const running = new Promise<void>((resolve) => (started = resolve))
      let cancelledAt = 0
      const run = tide.run("bench-cancel", { runId }, async (r) =>
        r.step("long", ({ signal }) =>
          new Promise<never>((_, reject) => {
            signal.addEventListener("abort", () => {
              samples.push(performance.now() - cancelledAt)
              reject(new Error("aborted"))
            })
            started()
          }))).catch(() => undefined)
      await running
      await new Promise((resolve) => setTimeout(resolve, STEP_RUNNING_MS))
      cancelledAt = performance.now()
      await fetch(`${url}/runs/${runId}/cancel`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reason: "bench", actor: "bench" })
      })
      await run
    }
  } finally {
    await tide.close()
  }
  return samples.sort((a, b) => a - b)
}

export const cancelStopSection: Section = {
  name: "cancel → step in flight interrupted",
  run: async (context) => {
    const samples = await stopLatencies(context.env.serverUrl)
    const p50 = samples[Math.floor(samples.length / 2)]!
    const p99 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))]!
    return {
      figures: [],
      notes: [`cancel → step in flight interrupted (its signal aborts): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${samples.length} runs ${verdict(p50, "≤", TARGET_MS, " ms")}`]
    }
  }
}
