import { Tidebase } from "@tidebase/sdk"
import { verdict } from "./report.js"
import type { Section } from "./section.js"

const TARGET_MS = 10
const ROUNDS = 30

interface GateRow {
  readonly id: string
  readonly name: string
  readonly resolveToken: string
}

/** Waits until the run shows its pending gate (the workflow has opened it and is waiting). */
const pendingGate = async (url: string, runId: string): Promise<GateRow> => {
  for (;;) {
    const detail = await (await fetch(`${url}/runs/${runId}`)).json() as { gates?: ReadonlyArray<GateRow> }
    const gate = detail.gates?.[0]
    if (gate !== undefined) return gate
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * A workflow waits at a gate; the bench resolves it over HTTP and times until the SDK's
 * `run.gate` returns in the workflow (one process, one clock): the wake-up path is the server's
 * live event stream, not a poll.
 */
const wakeLatencies = async (url: string) => {
  const tide = new Tidebase({ url })
  const samples: Array<number> = []
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const runId = `bench_gate_${crypto.randomUUID()}`
      let resolvedAt = 0
      const run = tide.run("bench-gate", { runId }, async (r) => {
        await r.gate("approve", "Go?")
        samples.push(performance.now() - resolvedAt)
      })
      const gate = await pendingGate(url, runId)
      // The workflow subscribes to the run's events right after its begin answer: give it that moment.
      await new Promise((resolve) => setTimeout(resolve, 20))
      resolvedAt = performance.now()
      await fetch(`${url}/runs/${runId}/gates/${gate.id}/resolve`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: gate.resolveToken, decision: "approved", actor: "bench" })
      })
      await run
    }
  } finally {
    await tide.close()
  }
  return samples.sort((a, b) => a - b)
}

export const gateWakeSection: Section = {
  name: "gate resolve → waiting run.gate returns",
  run: async (context) => {
    const samples = await wakeLatencies(context.env.serverUrl)
    const p50 = samples[Math.floor(samples.length / 2)]!
    const p99 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))]!
    return {
      figures: [],
      notes: [`gate resolved → waiting run.gate returns: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${samples.length} gates ${verdict(p50, "≤", TARGET_MS, " ms")}`]
    }
  }
}
