import { expect } from "@effect/vitest"
import { ChildRunFailedError } from "@tidebase/sdk"
import type { Tidebase } from "@tidebase/sdk"
import { Effect } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"
import { newRunId, rejection, withTide } from "./Harness.js"
import { FANOUT_PARENT, startWorker } from "./WorkerProcess.js"

const CHILDREN = 10

/** The parent's children as the server has them; none while the parent does not exist yet. */
const childrenOf = (tide: Tidebase, parent: string) => tide.runs.get(parent).then((d) => d.childRuns, () => [])

const until = async <A>(read: () => Promise<A>, done: (a: A) => boolean, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error("timed out waiting")
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

serverSuite("@tidebase/sdk child runs", (it) => {
  it.effect("run.child runs a child workflow registered here and answers its result; a resumed parent makes no second child and does not run it again", () =>
    withTide(async (tide) => {
      const parent = newRunId()
      let childBodies = 0
      tide.workflow("summarise", async (run, input: { text: string }) => {
        childBodies++
        return run.step("summary", () => input.text.toUpperCase())
      })
      let crash = true
      const invoke = () =>
        tide.run("research", { runId: parent }, async (run) => {
          const summary = await run.child<string>("summary-1", "summarise", { text: "tides" })
          if (crash) {
            crash = false
            throw new Error("crash after the child")
          }
          return summary
        })
      await rejection(invoke)
      expect(await invoke()).toBe("TIDES")
      expect(childBodies).toBe(1)
      const children = await childrenOf(tide, parent)
      expect(children.map((c) => c.status)).toEqual(["completed"])
    }))

  it.effect("run.child of a workflow another worker runs waits for it, woken by the child's events, and a failed child rejects with ChildRunFailedError", () =>
    withTide(async (tide, url) => {
      const parent = newRunId()
      const waiting = tide.run("research", { runId: parent }, async (run) => {
        const ok = await run.child("elsewhere-ok", "remote", { n: 1 })
        const failed = await rejection(() => run.child("elsewhere-bad", "remote", { n: 2 }))
        return { ok, failed }
      })
      const { Tidebase } = await import("@tidebase/sdk")
      const other = new Tidebase({ url })
      try {
        const first = await until(() => childrenOf(tide, parent), (c) => c.length === 1)
        await other.run("remote", { runId: first[0]!.id }, async (_, input: { n: number }) => input.n * 10)
        const second = await until(() => childrenOf(tide, parent), (c) => c.length === 2)
        await rejection(() => other.run("remote", { runId: second[1]!.id }, async () => {
          throw new Error("child broke")
        }))
        const { failed, ok } = await waiting
        expect(ok).toBe(10)
        expect(failed).toBeInstanceOf(ChildRunFailedError)
        expect(failed).toMatchObject({ name: "elsewhere-bad", status: "failed", childRunId: second[1]!.id })
      } finally {
        await other.close()
      }
    }))

  it.effect(`a fan-out of ${CHILDREN} children survives its parent being killed mid-join: each child is created once and the resumed parent gets every result in order`, () =>
    Effect.flatMap(TestServer, ({ url }) =>
      Effect.promise(async () => {
        const { Tidebase } = await import("@tidebase/sdk")
        const tide = new Tidebase({ url })
        const runId = newRunId("fanout")
        const env = { TIDEBASE_URL: url, RUN_ID: runId, CHILDREN: String(CHILDREN), LEASE_MS: "1000" }
        try {
          const first = startWorker(env, FANOUT_PARENT)
          const made = await until(() => childrenOf(tide, runId), (c) => c.length === CHILDREN)
          // Half the children finish while the parent is alive and joining, then it dies mid-join.
          for (const child of made.slice(0, CHILDREN / 2)) {
            await tide.run("remote-child", { runId: child.id }, async (_, input: { i: number }) => `done-${input.i}`)
          }
          first.child.kill("SIGKILL")
          await first.exited

          const second = startWorker(env, FANOUT_PARENT)
          for (const child of made.slice(CHILDREN / 2)) {
            await tide.run("remote-child", { runId: child.id }, async (_, input: { i: number }) => `done-${input.i}`)
          }
          const line = await second.line(/^result /)
          expect(JSON.parse(line.slice("result ".length))).toEqual(Array.from({ length: CHILDREN }, (_, i) => `done-${i}`))
          await second.exited

          const detail = await tide.runs.get(runId)
          expect(detail.run.status).toBe("completed")
          expect(detail.runEdges).toHaveLength(CHILDREN)
          expect(detail.events.filter((e) => e.type === "run.child.created")).toHaveLength(CHILDREN)
          expect(new Set(detail.childRuns.map((c) => c.id))).toEqual(new Set(made.map((c) => c.id)))
          expect(detail.childRuns.every((c) => c.status === "completed")).toBe(true)
        } finally {
          await tide.close()
        }
      })))
})
