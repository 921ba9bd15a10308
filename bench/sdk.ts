import { Tidebase } from "@tidebase/sdk"
import type { WorkflowRun } from "@tidebase/sdk"
import { measureThroughput } from "./harness.js"
import type { Throughput } from "./harness.js"
import { httpFigures } from "./http.js"
import { rawFigures } from "./raw.js"
import { verdict } from "./report.js"
import { undiciRequestCounter } from "./requestCount.js"
import { resumable } from "./resume.js"
import { transportFigures } from "./transport.js"
import type { BenchContext, Figure, Section } from "./section.js"
import { cpuAgainstTarget, serverCpuCounter, serverCpuPer } from "./serverCpu.js"

export const sdkFigures = {
  steps1: "sdk.step.1",
  steps20: "sdk.step.20",
  resume500: "sdk.resume.500"
} as const

const RESUME_STEPS = 500
const RESUME_TARGET_MS = 15

/** A step the bench asks a running workflow for; the workflow answers when it is checkpointed. */
interface StepRequest {
  readonly done: () => void
  readonly failed: (error: unknown) => void
}

/**
 * A live run that executes one new `run.step` per request, so each measured operation is
 * exactly one SDK step (however many requests the SDK makes for it) inside a real workflow body.
 */
const startStepper = (tide: Tidebase, worker: number) =>
  new Promise<{ step: () => Promise<void>; finish: () => Promise<void> }>((ready, refused) => {
    const waiting: Array<(request: StepRequest | null) => void> = []
    const queued: Array<StepRequest | null> = []
    const next = () =>
      new Promise<StepRequest | null>((resolve) => {
        const request = queued.shift()
        if (request !== undefined) resolve(request)
        else waiting.push(resolve)
      })
    const push = (request: StepRequest | null) => {
      const taker = waiting.shift()
      if (taker !== undefined) taker(request)
      else queued.push(request)
    }
    const finished = tide.run(`bench-sdk-${worker}`, { runId: `bench_sdk_${worker}_${crypto.randomUUID()}` }, async (run: WorkflowRun) => {
      ready({
        step: () => new Promise<void>((done, failed) => push({ done, failed })),
        finish: async () => {
          push(null)
          await finished
        }
      })
      for (let i = 0;; i++) {
        const request = await next()
        if (request === null) return i
        await run.step(`step-${i}`, () => ({ i, ok: true })).then(request.done, request.failed)
      }
    })
    finished.catch(refused)
  })

/** Steps/s, with the server's CPU time and the SDK's requests to it counted over the same window. */
const stepRate = async (context: BenchContext, tide: Tidebase, runs: number) => {
  const steppers: Array<{ finish: () => Promise<void> }> = []
  const requests = undiciRequestCounter(context.env.serverUrl)
  try {
    return await measureThroughput(runs, async (worker) => {
      const stepper = await startStepper(tide, worker)
      steppers.push(stepper)
      return stepper
    }, (stepper) => stepper.step(), context.measure, { ...serverCpuCounter(context.env.serverPid), requests: requests.read })
  } finally {
    requests.close()
    await Promise.all(steppers.map((s) => s.finish()))
  }
}

const requestsPerStep = (t: Throughput) => (t.counterDeltas?.requests ?? Number.NaN) / t.count

const cpuNote = (t: Throughput, runs: string) =>
  `server process CPU (user+sys) per SDK step, ${runs}: ${cpuAgainstTarget(serverCpuPer(t, t.count), "per step")}; ` +
  `${requestsPerStep(t).toFixed(2)} requests per step, ${serverCpuPer(t, t.counterDeltas?.requests ?? Number.NaN).toFixed(2)} ms per request`

/**
 * Resuming a run whose 500 steps are all checkpointed, end to end through `tide.run`: create,
 * begin, one checkpoint prefetch, 500 local replays, and the failure write that ends the body.
 */
const resumeLatency = async (context: BenchContext, tide: Tidebase) => {
  const resume = resumable(tide, `bench_resume_${crypto.randomUUID()}`, RESUME_STEPS)
  await resume()
  return measureThroughput(1, async () => undefined, resume, context.measure)
}

export const sdkSection: Section = {
  name: "promise SDK",
  run: async (context) => {
    const tide = new Tidebase({ url: context.env.serverUrl })
    try {
      const resume = await resumeLatency(context, tide)
      const steps1 = await stepRate(context, tide, 1)
      const steps20 = await stepRate(context, tide, 20)
      const figures: Array<Figure> = [
        { key: sdkFigures.resume500, label: `SDK resume of a ${RESUME_STEPS}-step run`, clients: 1, throughput: resume },
        { key: sdkFigures.steps1, label: "SDK new steps (1 run)", clients: 1, throughput: steps1 },
        { key: sdkFigures.steps20, label: "SDK new steps (20 runs)", clients: 20, throughput: steps20 }
      ]
      return {
        figures,
        notes: [
          `SDK: @tidebase/sdk over @tidebase/effect (step and run requests over its direct undici transport, the rest through HttpApiClient); a new step is one run.step() in a live run`,
          cpuNote(steps1, "1 run"),
          cpuNote(steps20, "20 runs"),
          `SDK resume of a ${RESUME_STEPS}-step run: p50 ${resume.p50Ms.toFixed(1)} ms, p99 ${resume.p99Ms.toFixed(1)} ms ${verdict(resume.p50Ms, "≤", RESUME_TARGET_MS, " ms")}`
        ]
      }
    } finally {
      await tide.close()
    }
  },
  ratios: [
    { label: "SDK steps / raw INSERT, 1 run / 1 client", numerator: sdkFigures.steps1, denominator: rawFigures.insert1, target: 0.25, stretch: 0.4 },
    { label: "SDK steps / raw INSERT, 20 runs / 20 clients", numerator: sdkFigures.steps20, denominator: rawFigures.insert20, target: 0.1 },
    // What the 1-run target leaves to everything but the HTTP hop and the commit themselves.
    { label: "SDK steps / POST + INSERT server, 1 run", numerator: sdkFigures.steps1, denominator: transportFigures.commitFloor1 },
    // "Within 1.3× of bare HTTP": SDK steps/s at least 1/1.3 ≈ 0.77 of the HTTP checkpoints/s.
    { label: "SDK steps / HTTP checkpoints, 1 run", numerator: sdkFigures.steps1, denominator: httpFigures.sequential1, target: 0.77 },
    { label: "SDK steps / HTTP checkpoints, 20 runs", numerator: sdkFigures.steps20, denominator: httpFigures.concurrent20, target: 0.77 }
  ]
}
