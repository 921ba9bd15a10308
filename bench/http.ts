import { randomBytes } from "node:crypto"
import { measureThroughput } from "./harness.js"
import type { Throughput } from "./harness.js"
import { jsonClient } from "./httpClient.js"
import type { JsonClient } from "./httpClient.js"
import { rawFigures } from "./raw.js"
import type { BenchContext, Figure, Section } from "./section.js"
import { cpuAgainstTarget, serverCpuCounter, serverCpuPer } from "./serverCpu.js"

export const httpFigures = {
  sequential1: "http.checkpoint.1",
  concurrent20: "http.checkpoint.20"
} as const

interface RunCursor {
  readonly runId: string
  readonly leaseOwner: string
  nextStep: number
}

interface Run {
  readonly id: string
}

/** Creates and begins a run, as a v0.6 worker does before its first step. */
const startRun = async (client: JsonClient, worker: number): Promise<RunCursor> => {
  const { run } = await client.post<{ run: Run }>(`/runs/bench-${worker}`, {})
  const begun = await client.post<{ leaseOwner: string }>(`/runs/${run.id}/begin`, {})
  return { runId: run.id, leaseOwner: begun.leaseOwner, nextStep: 0 }
}

/** One new-step checkpoint: begin (answers execute), then complete with the output. */
const checkpoint = (client: JsonClient) => async (cursor: RunCursor) => {
  const i = cursor.nextStep++
  const begun = await client.post<{ action: string; step: { id: string } }>(`/runs/${cursor.runId}/steps/begin`, {
    name: `step-${i}`,
    inputHash: randomBytes(32).toString("hex"),
    leaseOwner: cursor.leaseOwner
  })
  if (begun.action !== "execute") throw new Error(`step begin answered ${begun.action}, expected execute`)
  await client.post(`/runs/${cursor.runId}/steps/${begun.step.id}/complete`, {
    leaseOwner: cursor.leaseOwner,
    output: { i, ok: true }
  })
}

const checkpointRate = async (context: BenchContext, client: JsonClient, runs: number) =>
  measureThroughput(runs, (worker) => startRun(client, worker), checkpoint(client), context.measure, serverCpuCounter(context.env.serverPid))

/**
 * The server is a fresh process: until its JIT has settled, a checkpoint costs it several
 * times the CPU it costs later, so nothing is counted before a few seconds of load.
 */
const warmUp = (context: BenchContext, client: JsonClient) =>
  measureThroughput(4, (worker) => startRun(client, 100 + worker), checkpoint(client), {
    warmupMs: 0,
    durationMs: Math.max(1_000, context.measure.durationMs)
  })

const REQUESTS_PER_CHECKPOINT = 2

const cpuNote = (t: Throughput, runs: string) =>
  `server process CPU (user+sys) per checkpoint request, ${runs}: ${cpuAgainstTarget(serverCpuPer(t, t.count * REQUESTS_PER_CHECKPOINT), "per request")}; ` +
  `${serverCpuPer(t, t.count).toFixed(2)} ms per checkpoint`

export const httpSection: Section = {
  name: "HTTP checkpoints",
  run: async (context) => {
    const client = jsonClient(context.env.serverUrl)
    try {
      await warmUp(context, client)
      const sequential = await checkpointRate(context, client, 1)
      const concurrent = await checkpointRate(context, client, 20)
      const figures: Array<Figure> = [
        { key: httpFigures.sequential1, label: "HTTP new-step checkpoints (1 run)", clients: 1, throughput: sequential },
        { key: httpFigures.concurrent20, label: "HTTP new-step checkpoints (20 runs)", clients: 20, throughput: concurrent }
      ]
      return {
        figures,
        notes: [
          `HTTP client: ${client.name} (BENCH_HTTP_CLIENT=fetch for undici); a checkpoint is steps/begin + steps/:id/complete`,
          cpuNote(sequential, "1 run"),
          cpuNote(concurrent, "20 runs")
        ]
      }
    } finally {
      client.close()
    }
  },
  ratios: [
    { label: "HTTP checkpoints / raw INSERT, 1 client", numerator: httpFigures.sequential1, denominator: rawFigures.insert1, target: 0.25 },
    { label: "HTTP checkpoints / raw INSERT, 20 clients", numerator: httpFigures.concurrent20, denominator: rawFigures.insert20 }
  ]
}
