import { expect } from "@effect/vitest"
import { Tidebase } from "@tidebase/sdk"
import type { Event } from "@tidebase/sdk"
import * as net from "node:net"
import type { AddressInfo } from "node:net"
import { serverSuite } from "../../../test/TestServer.js"
import { Crash, newRunId, rejection, withTide } from "./Harness.js"

/** A TCP relay to the server whose connections can all be cut at once, as a restarting proxy or a flaky network would. */
const relay = async (target: string) => {
  const { hostname, port } = new URL(target)
  const sockets = new Set<net.Socket>()
  let connections = 0
  const server = net.createServer((client) => {
    connections++
    const upstream = net.connect(Number(port), hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on("close", () => sockets.delete(s))
      s.on("error", () => {})
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => sockets.forEach((s) => s.destroy()),
    connections: () => connections,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()) })
  }
}

serverSuite("@tidebase/sdk replay, fork and events", (it) => {
  it.effect("a fork after step 2 of a 4-step run replays steps 1-2 and executes 3-4; an edited output is what the workflow receives", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const calls: Array<string> = []
      const pipeline = (id: string) =>
        tide.run("four-steps", { runId: id, input: { n: 1 } }, async (run) => {
          const outputs: Array<unknown> = []
          for (const name of ["s1", "s2", "s3", "s4"]) {
            outputs.push(await run.step(name, () => {
              calls.push(`${id === runId ? "source" : "fork"}:${name}`)
              return { name, saw: outputs.length }
            }))
          }
          return outputs
        })
      await pipeline(runId)
      expect(calls).toEqual(["source:s1", "source:s2", "source:s3", "source:s4"])

      const fork = await tide.runs.fork(runId, { afterStep: "s2", stepOutputs: { s2: { name: "s2", saw: "edited" } } })
      expect(fork.steps.map((s) => s.name)).toEqual(["s1", "s2"])
      calls.length = 0
      const result = await pipeline(fork.run.id)
      expect(calls).toEqual(["fork:s3", "fork:s4"])
      expect(result[1]).toEqual({ name: "s2", saw: "edited" })
      expect((await tide.runs.get(runId)).steps[1]!.output).toEqual({ name: "s2", saw: 1 })
    }))

  it.effect("runs.replay shows a crashed run as it was at any event, and at its last equals runs.get", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      await rejection(() =>
        tide.run("crashes", { runId }, async (run) => {
          await run.step("plan", () => "planned")
          await run.step("write", () => { throw new Crash("writer died") })
        }))
      const latest = await tide.runs.replay(runId)
      const detail = await tide.runs.get(runId)
      expect(latest.run).toEqual(detail.run)
      expect(latest.steps).toEqual(detail.steps)
      const afterPlan = detail.events.find((e) => e.type === "step.completed")!.seq
      const then = await tide.runs.replay(runId, { seq: afterPlan })
      expect(then.steps.map((s) => [s.name, s.status])).toEqual([["plan", "completed"]])
      expect(then.event.type).toBe("step.completed")
    }))

  it.effect("events.subscribe yields a run's history then live events, and 'all' sees every run's", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      await tide.runs.create("watched", { runId })
      const seen: Array<Event> = []
      const sub = tide.events.subscribe(runId, {}, (e) => seen.push(e))
      const all = tide.events.subscribe("all", { types: ["step.completed"] })
      await tide.run("watched", { runId }, async (run) => run.step("one", () => 1))
      const fromAll: Array<Event> = []
      for await (const e of all) {
        if (e.runId === runId) fromAll.push(e)
        if (fromAll.length === 1) break
      }
      while (!seen.some((e) => e.type === "run.completed")) await new Promise((r) => setTimeout(r, 20))
      sub.close()
      expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1))
      expect(seen[0]!.type).toBe("run.created")
      expect(fromAll.map((e) => e.type)).toEqual(["step.completed"])
    }))

  it.effect("a step recorded in one request keeps when it started: its recorded duration covers the time it ran", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      await tide.run("timed", { runId }, (run) => run.step("slow", () => new Promise((r) => setTimeout(() => r("done"), 120))))
      const step = (await tide.runs.get(runId)).steps[0]!
      expect(Date.parse(step.completedAt!) - Date.parse(step.startedAt)).toBeGreaterThanOrEqual(100)
    }))

  it.effect("events.subscribe reconnects after a dropped connection and resumes after the last event seen: each event once, in order", () =>
    withTide(async (tide, url) => {
      const net = await relay(url)
      const viaRelay = new Tidebase({ url: net.url })
      try {
        const runId = newRunId()
        await tide.runs.create("dropped", { runId })
        const seen: Array<number> = []
        const sub = viaRelay.events.subscribe(runId, {}, (e) => seen.push(e.seq))
        const until = async (n: number) => { while (seen.length < n) await new Promise((r) => setTimeout(r, 20)) }
        await tide.run("dropped", { runId }, async (run) => {
          await run.step("one", () => 1)
          await until(4)
          net.cut()
          await run.step("two", () => 2)
          await run.step("three", () => 3)
          return "done"
        })
        const total = (await tide.runs.get(runId)).events.length
        await until(total)
        sub.close()
        expect(net.connections()).toBeGreaterThanOrEqual(2)
        expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1))
      } finally {
        await viaRelay.close()
        await net.close()
      }
    }))

  it.effect("runs.page walks every run once with filters", () =>
    withTide(async (tide) => {
      const tag = newRunId()
      for (let i = 0; i < 5; i++) await tide.runs.create("paged", { metadata: { tag, i } })
      const ids: Array<string> = []
      let cursor: string | undefined
      do {
        const page = await tide.runs.page({ metadata: { tag }, limit: 2, ...(cursor ? { cursor } : {}) })
        ids.push(...page.runs.map((r) => r.id))
        cursor = page.next ?? undefined
      } while (cursor !== undefined)
      expect(ids).toHaveLength(5)
      expect(new Set(ids).size).toBe(5)
    }))
})
