import { Tidebase } from "@tidebase/sdk"
import { measureLatency } from "./harness.js"
import type { LatencyBounds, Throughput } from "./harness.js"
import { nodeHttpClient } from "./httpClient.js"
import { verdict } from "./report.js"
import { BuildTooSlow, resumable } from "./resume.js"
import type { BenchContext, Figure, Section } from "./section.js"

export const longRunFigures = {
  resume: "sdk.resume.10000",
  read: "http.getRun.10000"
} as const

const STEPS = 10_000
const RESUME_TARGET_MS = 250
const READ_TARGET_MS = 150
// Setup, not a figure; at the SDK's step rates on a 2-core machine it takes a few minutes at most.
const BUILD_LIMIT_MS = 6 * 60_000

const bounds = (context: BenchContext, warmups: number, maxSamples: number): LatencyBounds => ({
  warmups,
  minSamples: 5,
  maxSamples,
  windowMs: context.measure.durationMs,
  limitMs: Math.max(60_000, 4 * context.measure.durationMs)
})

const latencyNote = (what: string, t: Throughput, samples: string, targetMs: number) =>
  `${what}: p50 ${t.p50Ms.toFixed(1)} ms, p99 ${t.p99Ms.toFixed(1)} ms over ${t.count} ${samples} ${verdict(t.p50Ms, "≤", targetMs, " ms")}`

/** `GET /runs/:id` as any HTTP client reads it: timed until the last byte, parsed once afterwards. */
const readLatency = async (context: BenchContext, runId: string) => {
  const client = nodeHttpClient(context.env.serverUrl)
  try {
    // The first read renders the whole run; later ones only what the run gained since (DetailCache).
    const coldStarted = performance.now()
    let body = await client.getText(`/runs/${runId}`)
    const coldMs = performance.now() - coldStarted
    const read = await measureLatency(async () => {
      body = await client.getText(`/runs/${runId}`)
    }, bounds(context, 2, 500))
    const detail = JSON.parse(body) as { steps?: ReadonlyArray<unknown>; events?: ReadonlyArray<unknown> }
    const size = `${(Buffer.byteLength(body) / 1_048_576).toFixed(2)} MiB, ${detail.steps?.length ?? "no"} steps and ${detail.events?.length ?? "no"} events listed`
    return { read, size, coldMs }
  } finally {
    client.close()
  }
}

export const longRunSection: Section = {
  name: `a ${STEPS}-step run (built through the SDK first)`,
  run: async (context) => {
    const tide = new Tidebase({ url: context.env.serverUrl })
    try {
      const runId = `bench_long_${crypto.randomUUID()}`
      const built = performance.now()
      try {
        await resumable(tide, runId, STEPS, built + BUILD_LIMIT_MS)()
      } catch (error) {
        if (!(error instanceof BuildTooSlow)) throw error
        return { figures: [], notes: [`${STEPS}-step run: ${error.message} (${BUILD_LIMIT_MS / 60_000} min bound); its figures are missing`] }
      }
      const buildSeconds = (performance.now() - built) / 1_000

      // The first resume is a warm-up: its prefetch is the server's first read of this many checkpoints.
      const resume = await measureLatency(resumable(tide, runId, STEPS), bounds(context, 1, 50))
      const { read, size, coldMs } = await readLatency(context, runId)
      const figures: Array<Figure> = [
        { key: longRunFigures.resume, label: `SDK resume of a ${STEPS}-step run`, clients: 1, throughput: resume },
        { key: longRunFigures.read, label: `GET /runs/:id of a ${STEPS}-step run`, clients: 1, throughput: read }
      ]
      return {
        figures,
        notes: [
          `${STEPS}-step run built through the SDK in ${buildSeconds.toFixed(1)} s (${(STEPS / buildSeconds).toFixed(1)} steps/s; setup, not measured)`,
          latencyNote(`SDK resume of a ${STEPS}-step run`, resume, "resumes", RESUME_TARGET_MS),
          `${latencyNote(`GET /runs/:id of a ${STEPS}-step run (node:http keep-alive)`, read, "requests", READ_TARGET_MS)}; response ${size}`,
          `GET /runs/:id of a ${STEPS}-step run, first read (renders every step and event): ${coldMs.toFixed(0)} ms`
        ]
      }
    } finally {
      await tide.close()
    }
  }
}
