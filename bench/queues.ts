import { Tidebase } from "@tidebase/sdk"
import { measureThroughput } from "./harness.js"
import { nodeHttpClient } from "./httpClient.js"
import { rawFigures } from "./raw.js"
import { verdict } from "./report.js"
import type { Figure, Section } from "./section.js"

export const queueFigures = {
  enqueue20: "queue.enqueue.20",
  jobs4: "queue.jobs.4"
} as const

const ENQUEUE_CLIENTS = 20
const WORKERS = 4
const LATENCY_TARGET_MS = 10
const LATENCY_ROUNDS = 40

interface QueueCounts {
  readonly name: string
  readonly queued: number
  readonly completed: number
}

const completedIn = async (url: string, queue: string) => {
  const { queues } = await (await fetch(`${url}/queues`)).json() as { queues: ReadonlyArray<QueueCounts> }
  return queues.find((q) => q.name === queue) ?? { name: queue, queued: 0, completed: 0 }
}

/**
 * Jobs processed by `WORKERS` promise-SDK workers (`tide.work`), each job one step: a backlog is
 * enqueued first, then completions are counted over the window (the backlog outlasts it).
 */
const jobsPerSecond = async (url: string, durationMs: number, warmupMs: number) => {
  const queue = `bench-jobs-${crypto.randomUUID()}`
  const backlog = Math.max(2_000, Math.ceil((durationMs + warmupMs) / 1_000) * 600)
  const client = nodeHttpClient(url)
  let next = 0
  await Promise.all(Array.from({ length: ENQUEUE_CLIENTS }, async () => {
    while (next < backlog) {
      next++
      await client.post(`/queues/${queue}/enqueue`, { workflowName: "bench-job", input: { n: next } })
    }
  }))
  client.close()
  const stop = new AbortController()
  const workers = Array.from({ length: WORKERS }, () => new Tidebase({ url }))
  const working = workers.map((tide) => {
    tide.workflow("bench-job", async (run, input: { n: number }) => run.step("work", () => input.n * 2))
    return tide.work({ queues: [queue], signal: stop.signal, waitMs: 1_000 })
  })
  try {
    await new Promise((resolve) => setTimeout(resolve, warmupMs))
    const before = await completedIn(url, queue)
    await new Promise((resolve) => setTimeout(resolve, durationMs))
    const after = await completedIn(url, queue)
    return { perSecond: (after.completed - before.completed) / (durationMs / 1_000), drained: after.queued === 0 }
  } finally {
    stop.abort()
    await Promise.all(working)
    await Promise.all(workers.map((tide) => tide.close()))
  }
}

/** One idle worker long-polls; each round enqueues one run and times until the worker's claim answers it. */
const enqueueToClaim = async (url: string) => {
  const queue = `bench-latency-${crypto.randomUUID()}`
  const client = nodeHttpClient(url)
  const claimedAt = new Map<string, number>()
  let polling = true
  const poller = (async () => {
    while (polling) {
      const { runs } = await client.post<{ runs: ReadonlyArray<{ id: string }> }>("/queues/claim", { queues: [queue], waitMs: 2_000 })
      for (const run of runs) claimedAt.set(run.id, performance.now())
    }
  })()
  const samples: Array<number> = []
  try {
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (let i = 0; i < LATENCY_ROUNDS; i++) {
      const runId = `bench_claim_${crypto.randomUUID().replaceAll("-", "")}`
      const sent = performance.now()
      await client.post(`/queues/${queue}/enqueue`, { workflowName: "bench-latency", runId })
      while (!claimedAt.has(runId)) await new Promise((resolve) => setTimeout(resolve, 1))
      samples.push(claimedAt.get(runId)! - sent)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    polling = false
    await poller
    client.close()
  }
  return samples.sort((a, b) => a - b)
}

export const queueSection: Section = {
  name: "queues: enqueue, workers, enqueue → claim",
  run: async (context) => {
    const url = context.env.serverUrl
    const client = nodeHttpClient(url)
    const queue = `bench-enqueue-${crypto.randomUUID()}`
    const enqueueOne = async () => {
      await client.post(`/queues/${queue}/enqueue`, { workflowName: "bench-enqueue", input: { ok: true } })
    }
    // The server is a fresh process: nothing is counted before its JIT has settled on the enqueue path.
    await measureThroughput(ENQUEUE_CLIENTS, async () => undefined, enqueueOne, { warmupMs: 0, durationMs: Math.max(1_000, context.measure.durationMs) })
    const enqueue = await measureThroughput(
      ENQUEUE_CLIENTS,
      async () => undefined,
      enqueueOne,
      context.measure
    )
    client.close()
    const jobs = await jobsPerSecond(url, context.measure.durationMs, context.measure.warmupMs)
    const latencies = await enqueueToClaim(url)
    const p50 = latencies[Math.floor(latencies.length / 2)]!
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!
    const figures: Array<Figure> = [
      { key: queueFigures.enqueue20, label: "queue enqueues (HTTP)", clients: ENQUEUE_CLIENTS, throughput: enqueue },
      {
        key: queueFigures.jobs4,
        label: "queue jobs processed (SDK workers, 1 step each)",
        clients: WORKERS,
        throughput: { perSecond: jobs.perSecond, count: Math.round(jobs.perSecond * context.measure.durationMs / 1_000), p50Ms: Number.NaN, p99Ms: Number.NaN }
      }
    ]
    return {
      figures,
      notes: [
        `enqueue → claimed by an idle long-polling worker: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length} runs ${verdict(p50, "≤", LATENCY_TARGET_MS, " ms")}`,
        ...(jobs.drained ? ["the jobs backlog ran out before the window ended: the jobs figure is a floor"] : [])
      ]
    }
  },
  ratios: [
    { label: "enqueues / raw INSERT, 20 clients", numerator: queueFigures.enqueue20, denominator: rawFigures.insert20, target: 0.25 },
    { label: "jobs by 4 workers / raw INSERT, 20 clients", numerator: queueFigures.jobs4, denominator: rawFigures.insert20, target: 0.1 }
  ]
}
