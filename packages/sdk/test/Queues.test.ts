import { expect } from "@effect/vitest"
import { Tidebase } from "@tidebase/sdk"
import { Option, Redacted } from "effect"
import { startHttpServer } from "../../../test/Proxy.js"
import { serverSuite } from "../../../test/TestServer.js"
import { withTide } from "./Harness.js"

const SECRET = "push-secret"
let made = 0
const uniqueQueue = (label: string) => `${label}-${Date.now().toString(36)}-${++made}`

const until = async <A>(read: () => Promise<A>, done: (a: A) => boolean, timeoutMs = 10_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

serverSuite("@tidebase/sdk queues", (it) => {
  it.effect("a route enqueues with a dedupe key (a double submit makes one run); a worker process runs it to completion", () =>
    withTide(async (tide, url) => {
      const queue = uniqueQueue("reports")
      // The route: enqueue, answer the run id at once.
      const first = await tide.enqueue("generate-report", { queue, input: { topic: "tides" }, dedupeKey: "report-tides" })
      const second = await tide.enqueue("generate-report", { queue, input: { topic: "tides" }, dedupeKey: "report-tides" })
      expect(second).toMatchObject({ deduplicated: true, run: { id: first.run.id } })
      expect(first.run.status).toBe("queued")

      // The worker: its own client, the workflow registered, claiming until told to stop.
      const worker = new Tidebase({ url })
      worker.workflow("generate-report", async (run, input: { topic: string }) => {
        const outline = await run.step("outline", () => `outline of ${input.topic}`)
        return run.step("write", () => `${outline}, written`)
      })
      const stop = new AbortController()
      const working = worker.work({ queues: [queue], concurrency: 2, signal: stop.signal })
      const detail = await until(() => tide.runs.get(first.run.id), (d) => d.run.status === "completed")
      expect(detail.run.result).toBe("outline of tides, written")
      expect(detail.steps.map((s) => s.name)).toEqual(["outline", "write"])
      stop.abort()
      await working
      await worker.close()
    }))

  it.effect("a run that fails its first try is requeued and finished by the next, its completed step not executed again", () =>
    withTide(async (tide) => {
      const queue = uniqueQueue("flaky")
      const executed: Array<string> = []
      const errors: Array<unknown> = []
      tide.workflow("flaky", async (run) => {
        await run.step("charge", () => (executed.push("charge"), "charged"))
        return run.step("email", () => {
          executed.push("email")
          if (executed.filter((e) => e === "email").length === 1) throw new Error("smtp down")
          return "sent"
        })
      })
      const { run } = await tide.enqueue("flaky", { queue, maxAttempts: 3 })
      const stop = new AbortController()
      const working = tide.work({ queues: [queue], signal: stop.signal, onError: (error) => errors.push(error) })
      const detail = await until(() => tide.runs.get(run.id), (d) => d.run.status === "completed", 20_000)
      stop.abort()
      await working
      expect(detail.run).toMatchObject({ status: "completed", result: "sent" })
      expect(executed).toEqual(["charge", "email", "email"])
      expect(errors).toHaveLength(1)
      expect(detail.events.map((e) => e.type).filter((t) => t.startsWith("run.") && t !== "run.started")).toEqual([
        "run.created", "run.enqueued", "run.claimed", "run.requeued", "run.claimed", "run.completed"
      ])
    }))

  it.effect("stopping a worker lets the run in progress finish, and it claims nothing after", () =>
    withTide(async (tide) => {
      const queue = uniqueQueue("graceful")
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let started!: () => void
      const running = new Promise<void>((resolve) => (started = resolve))
      tide.workflow("slow", async (run) => run.step("work", async () => (started(), await gate, "done")))
      const { run } = await tide.enqueue("slow", { queue })
      const stop = new AbortController()
      let stopped = false
      const working = tide.work({ queues: [queue], signal: stop.signal }).then(() => (stopped = true))
      await running
      stop.abort()
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(stopped).toBe(false)
      const later = await tide.enqueue("slow", { queue })
      release()
      await working
      expect((await tide.runs.get(run.id)).run).toMatchObject({ status: "completed", result: "done" })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect((await tide.runs.get(later.run.id)).run.status).toBe("queued")
    }))

  it.effect("queues and schedules from the SDK: configure and list a queue; a schedule every second fires runs a worker completes; delete stops it", () =>
    withTide(async (tide) => {
      const queue = uniqueQueue("cron")
      expect(await tide.queues.configure(queue, { concurrency: 1 })).toEqual({ name: queue, concurrency: 1, ratePerMinute: null, invokeUrl: null })
      const name = `heartbeat-${queue}`
      const schedule = await tide.schedules.set(name, { cron: "* * * * * *", workflowName: "tick", queue, input: { from: "cron" } })
      expect(schedule).toMatchObject({ name, queue, enabled: true, timezone: "UTC" })
      expect((await tide.schedules.list()).map((s) => s.name)).toContain(name)
      const inputs: Array<unknown> = []
      tide.workflow("tick", async (_run, input) => (inputs.push(input), "ticked"))
      const stop = new AbortController()
      const working = tide.work({ queues: [queue], signal: stop.signal, waitMs: 2_000 })
      const counts = await until(async () => (await tide.queues.list()).find((q) => q.name === queue), (q) => (q?.completed ?? 0) >= 2)
      expect(await tide.schedules.delete(name)).toBe(true)
      expect(await tide.schedules.delete(name)).toBe(false)
      stop.abort()
      await working
      expect(counts).toMatchObject({ config: { concurrency: 1 } })
      expect(counts!.completed).toBeGreaterThanOrEqual(2)
      expect(inputs[0]).toEqual({ from: "cron" })
    }))

  it.effect("a push queue sends each ready run once as a signed run.invoke; the app's tide.webhook() runs it to completion", () =>
    withTide(async (tide, url) => {
      const queue = uniqueQueue("push")
      const app = new Tidebase({ url, webhookSecret: SECRET })
      const executed: Array<number> = []
      app.workflow("pushed", async (run, input: { n: number }) => run.step("work", () => (executed.push(input.n), input.n * 10)))
      const handler = app.webhook()
      const calls: Array<string> = []
      // A plain node server in front of the fetch-style handler, as an app would mount it.
      const receiver = await startHttpServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", async () => {
          const body = Buffer.concat(chunks)
          calls.push(body.toString("utf8"))
          const answer = await handler(new Request(`http://app.test${request.url}`, {
            method: "POST",
            headers: request.headers as Record<string, string>,
            body
          }))
          response.writeHead(answer.status, { "content-type": "application/json" })
          response.end(await answer.text())
        })
      })
      try {
        await tide.queues.configure(queue, { invokeUrl: `${receiver.url}/tidebase`, concurrency: 2 })
        const runs = await Promise.all([1, 2, 3, 4, 5].map((n) => tide.enqueue("pushed", { queue, input: { n } })))
        const details = await until(
          () => Promise.all(runs.map(({ run }) => tide.runs.get(run.id))),
          (all) => all.every((d) => d.run.status === "completed"),
          15_000
        )
        expect(details.map((d) => d.run.result)).toEqual([10, 20, 30, 40, 50])
        expect([...executed].sort()).toEqual([1, 2, 3, 4, 5])
        const invoked = calls.map((c) => JSON.parse(c) as { type: string; runId: string; leaseOwner: string })
        expect(invoked.every((c) => c.type === "run.invoke" && c.leaseOwner.startsWith("push_"))).toBe(true)
        expect(invoked.map((c) => c.runId).sort()).toEqual(runs.map(({ run }) => run.id).sort())
        expect(details.every((d) => d.recoveryAttempts.length === 1 && (d.recoveryAttempts[0] as { readonly reason?: string }).reason === "invoke")).toBe(true)
      } finally {
        await receiver.close()
        await app.close()
      }
    }))
}, { queueBackoffMs: 100, webhookSecret: Option.some(Redacted.make(SECRET)), webhookRetryMs: 100, reconcileMs: 200 })
