import { expect } from "@effect/vitest"
import { BudgetExceededError, LeaseLostError, StateNotFoundError, Tidebase, TidebaseRequestError } from "@tidebase/sdk"
import { Effect } from "effect"
import type { Proxy } from "../../../test/Proxy.js"
import { serverSuite, TestServer } from "../../../test/TestServer.js"
import { Crash, eventsOfType, newRunId, rejection, throughProxy, withTide } from "./Harness.js"

/** The requests the proxy forwarded for `runId`, as `METHOD /rest`, heartbeats left out. */
const requestsFor = (proxy: Proxy, runId: string) =>
  proxy.log
    .filter((r) => r.path.startsWith(`/runs/${runId}/`) && !r.path.endsWith("/heartbeat"))
    .map((r) => `${r.method} ${r.path.slice(`/runs/${runId}`.length).replace(/\/steps\/(?!begin|checkpoint)[^/]+\//, "/steps/:id/")}`)

const send = (url: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })
    .then(async (response) => ({ status: response.status, body: await response.json() as any }))

serverSuite("@tidebase/sdk state and usage", (it) => {
  it.effect("set replaces and patch merges; each write names the step it was made in, and get() reads the server's value after a resume", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let crash = true
      const seen: Array<unknown> = []
      const invoke = () =>
        tide.run("stateful", { runId }, async (run) => {
          seen.push(await run.state.get())
          await run.step("plan", async () => {
            await run.state.set({ status: "planning", progress: 0.1, notes: ["a"] })
            return "plan"
          })
          await run.step("send", { sideEffects: ["email"], idempotencyKey: "send-1" }, async () => {
            await run.state.patch({ progress: 0.5 })
            return "sent"
          })
          await run.state.patch({ status: "reviewing" }, { stream: "review", reason: "waiting on a person" })
          if (crash) throw new Crash("after send")
          return run.state.get()
        })

      expect(await rejection(invoke)).toBeInstanceOf(Crash)
      crash = false
      const current = await invoke()
      expect(current).toEqual({ status: "planning", progress: 0.5, notes: ["a"] })
      // The resumed invocation read the value the first one left, before writing anything itself.
      expect(seen).toEqual([undefined, { status: "planning", progress: 0.5, notes: ["a"] }])

      const detail = await tide.runs.get(runId)
      const stepId = (name: string) => detail.steps.find((s) => s.name === name)!.id
      expect(detail.state).toMatchObject({ runId, value: { status: "planning", progress: 0.5, notes: ["a"] }, version: 2 })
      const versions = detail.stateVersions.map((v) => [v.stream, v.version, v.value, v.patch, v.stepId])
      const byStream = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>) =>
        String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1])
      expect(versions.sort(byStream)).toEqual([
        [`run:${runId}`, 1, { status: "planning", progress: 0.1, notes: ["a"] }, null, null],
        // A step that holds its lease before it runs has an id to name; a one-request step does not yet.
        [`run:${runId}`, 2, { status: "planning", progress: 0.5, notes: ["a"] }, { progress: 0.5 }, stepId("send")],
        ["review", 1, { status: "reviewing" }, { status: "reviewing" }, null],
        ["review", 2, { status: "reviewing" }, { status: "reviewing" }, null]
      ].sort(byStream))
      expect(detail.stateStreams.map((s) => [s.name, s.currentVersion]).sort()).toEqual([["review", 2], [`run:${runId}`, 2]])
      expect(eventsOfType(detail.events, "state.updated").map((e) => e.stream)).toEqual([
        `run:${runId}`,
        `run:${runId}`,
        "review",
        "review"
      ])
    }))

  it.effect("save labels the current value, snapshots list newest first, and save on an empty stream throws StateNotFoundError", () =>
    withTide(async (tide, url) => {
      const runId = newRunId()
      const outcome = await tide.run("labels", { runId }, async (run) => {
        const empty = await rejection(() => run.state.save("nothing-yet"))
        await run.state.set({ draft: 1 })
        const saved = await run.state.save("first-draft", { reason: "before review" })
        const snapshot = await run.snapshot("outline", { sections: ["intro"] }, { target: { type: "doc", id: "d1" } })
        const labeled = await run.state.versions({ labeled: true })
        const all = await run.state.versions({ stream: `run:${runId}` })
        return { empty, saved, snapshot, labeled, all, value: await run.state.get() }
      })
      expect(outcome.empty).toBeInstanceOf(StateNotFoundError)
      expect(outcome.saved).toMatchObject({ version: 2, label: "first-draft", importance: "milestone", value: { draft: 1 } })
      expect(outcome.snapshot).toMatchObject({ stream: "doc:d1", version: 1, label: "outline", value: { sections: ["intro"] } })
      expect(outcome.labeled.map((v) => v.label).sort()).toEqual(["first-draft", "outline"])
      expect(outcome.all.map((v) => [v.version, v.label])).toEqual([[1, null], [2, "first-draft"]])
      expect(outcome.value).toEqual({ draft: 1 })
      const { snapshots } = await fetch(`${url}/runs/${runId}/snapshots`).then((r) => r.json() as Promise<any>)
      expect(snapshots.map((v: any) => v.label)).toEqual(["outline", "first-draft"])
    }))

  it.effect("a state write from a fenced-out worker is refused; one with no owner is accepted", () =>
    Effect.flatMap(TestServer, ({ url }) =>
      Effect.promise(async () => {
        const tide = new Tidebase({ url, workerId: "worker-a" })
        try {
          const runId = newRunId()
          let refused: unknown
          const error = await rejection(() =>
            tide.run("fenced", { runId }, async (run) => {
              await run.state.set({ owner: "a" })
              // Worker a lets the run go and worker b takes it: a's writes are stale from here on.
              expect((await send(url, "POST", `/runs/${runId}/release`, { leaseOwner: "worker-a", leaseEpoch: run.attempt })).status).toBe(200)
              const taken = await send(url, "POST", `/runs/${runId}/begin`, { workflowName: "fenced" }, { "x-tidebase-worker": "worker-b" })
              expect(taken.body.run.attempt).toBe(run.attempt + 1)
              refused = await rejection(() => run.state.set({ owner: "a, stale" }))
              throw refused
            }))
          expect(refused).toBeInstanceOf(LeaseLostError)
          expect(error).toBe(refused)
          const ui = await send(url, "PATCH", `/runs/${runId}/state`, { value: { seenBy: "ui" } })
          expect(ui.status).toBe(200)
          const detail = await tide.runs.get(runId)
          expect(detail.state?.value).toEqual({ owner: "a", seenBy: "ui" })
          expect(detail.stateVersions.map((v) => v.version)).toEqual([1, 2])
        } finally {
          await tide.close()
        }
      })))

  it.effect("a step that records usage and is then replayed on resume does not add a second record", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let crash = true
      const calls = { plan: 0 }
      const invoke = () =>
        tide.run("usage-replay", { runId }, async (run) => {
          await run.step("plan", async () => {
            calls.plan++
            const recorded = await run.usage.record({ kind: "llm", provider: "openai", model: "gpt-x", inputTokens: 120, outputTokens: 30, costUsd: 0.002 })
            expect(recorded).toMatchObject({ deduplicated: false, budgetExceeded: false, usage: { totalTokens: 150 } })
            return "plan"
          })
          if (crash) throw new Crash("after plan")
          return "done"
        })
      await rejection(invoke)
      crash = false
      expect(await invoke()).toBe("done")
      expect(calls.plan).toBe(1)
      const detail = await tide.runs.get(runId)
      expect(detail.usage).toHaveLength(1)
      expect(detail.usage[0]).toMatchObject({ kind: "llm", model: "gpt-x", totalTokens: 150, costUsd: 0.002, stepId: null })
      expect(detail.usage[0]!.idempotencyKey).toMatch(new RegExp(`^${runId}:plan:[0-9a-f]{32}:1$`))
      expect(detail.run.usageTotals).toEqual({ inputTokens: 120, outputTokens: 30, totalTokens: 150, costUsd: 0.002 })
      expect(eventsOfType(detail.events, "usage.recorded")).toHaveLength(1)
    }))

  it.effect("a step executed again after a crash records its usage again: each execution has its own nonce", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      let crash = true
      const invoke = () =>
        tide.run("usage-reexecuted", { runId }, (run) =>
          run.step("call-llm", async () => {
            await run.usage.record({ kind: "llm", inputTokens: 10, outputTokens: 5 })
            await run.usage.record({ kind: "tool", quantity: 1, unit: "search" })
            if (crash) throw new Crash("lost the answer after paying for it")
            return "answer"
          }))
      await rejection(invoke)
      crash = false
      expect(await invoke()).toBe("answer")
      const keys = (await tide.runs.get(runId)).usage.map((u) => u.idempotencyKey!)
      expect(keys).toHaveLength(4)
      const [first, second] = [keys.slice(0, 2), keys.slice(2)].map((pair) => pair.map((k) => k.split(":")))
      expect(first!.map((k) => k.at(-1))).toEqual(["1", "2"])
      expect(second!.map((k) => k.at(-1))).toEqual(["1", "2"])
      expect(first![0]!.at(-2)).toBe(first![1]!.at(-2))
      expect(first![0]!.at(-2)).not.toBe(second![0]!.at(-2))
    }))

  it.effect("a negative token count throws TidebaseRequestError naming the field, and nothing is recorded", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const error = await tide.run("usage-negative", { runId }, (run) => rejection(() => run.usage.record({ inputTokens: -5 })))
      expect(error).toBeInstanceOf(TidebaseRequestError)
      expect((error as Error).message).toContain("inputTokens")
      expect((await tide.runs.get(runId)).usage).toEqual([])
    }))

  it.effect("a usage record retried by the transport is counted once", () =>
    throughProxy(async (tide, proxy, direct) => {
      const runId = newRunId()
      proxy.loseAnswers((method, path) => method === "POST" && path === `/runs/${runId}/usage`)
      const recorded = await tide.run("usage-retried", { runId }, (run) =>
        run.step("embed", () => run.usage.record({ kind: "embedding", inputTokens: 1000, costUsd: 0.0001 })))
      expect(requestsFor(proxy, runId).filter((r) => r.endsWith("/usage"))).toEqual(["POST /usage", "POST /usage"])
      expect(proxy.log.filter((r) => r.path.endsWith("/usage")).map((r) => r.outcome)).toEqual(["answer lost", "answered"])
      expect(recorded.deduplicated).toBe(true)
      const detail = await direct.runs.get(runId)
      expect(detail.usage.map((u) => u.id)).toEqual([recorded.usage.id])
      expect(detail.run.usageTotals.totalTokens).toBe(1000)
    }))

  it.effect("crossing a budget stops the run at the next step with BudgetExceededError and raising it lets the re-invoked run finish", () =>
    throughProxy(async (tide, proxy, direct) => {
      const runId = newRunId()
      const calls = { plan: 0, search: 0, draft: 0 }
      const answers: Array<boolean> = []
      const invoke = () =>
        tide.run("budgeted", { runId, budget: { maxCostUsd: 0.05 } }, async (run) => {
          await run.step("plan", async () => {
            calls.plan++
            answers.push((await run.usage.record({ kind: "llm", costUsd: 0.03 })).budgetExceeded)
            return "plan"
          })
          await run.step("search", { sideEffects: ["search-api"], idempotencyKey: "search-1" }, async () => {
            calls.search++
            answers.push((await run.usage.record({ kind: "llm", costUsd: 0.03 })).budgetExceeded)
            return "docs"
          })
          return run.step("draft", () => (calls.draft++, "draft"))
        })

      const error = await rejection(invoke)
      expect(error).toBeInstanceOf(BudgetExceededError)
      expect((error as BudgetExceededError).run).toMatchObject({ id: runId, status: "failed", failureClass: "budget_exceeded" })
      expect((error as BudgetExceededError).message).toContain("$0.06 of $0.05")
      expect(answers).toEqual([false, true])
      expect(calls).toEqual({ plan: 1, search: 1, draft: 0 })
      // The step after the crossing asked first (begin, not checkpoint), and the SDK did not fail the run over the server's stop.
      expect(requestsFor(proxy, runId).filter((r) => r.includes("/steps"))).toEqual([
        "POST /steps/checkpoint",
        "POST /steps/begin",
        "POST /steps/:id/complete",
        "POST /steps/begin"
      ])
      expect(requestsFor(proxy, runId)).not.toContain("POST /fail")
      const stopped = await direct.runs.get(runId)
      expect(stopped.run).toMatchObject({ status: "failed", failureClass: "budget_exceeded", budget: { maxCostUsd: 0.05, maxTotalTokens: null } })
      expect(stopped.run.error).toMatchObject({ code: "budget_exceeded", resumeDecision: "manual_review" })
      expect(stopped.steps.map((s) => s.name)).toEqual(["plan", "search"])

      // Re-invoked while still over budget, the run stops again before draft runs.
      expect(await rejection(invoke)).toBeInstanceOf(BudgetExceededError)
      expect(calls.draft).toBe(0)

      const raised = await tide.runs.setBudget(runId, { maxCostUsd: 1 })
      expect(raised.budget).toEqual({ maxCostUsd: 1, maxTotalTokens: null })
      expect(await invoke()).toBe("draft")
      expect(calls).toEqual({ plan: 1, search: 1, draft: 1 })
      const finished = await direct.runs.get(runId)
      expect(finished.run.status).toBe("completed")
      expect(finished.usage).toHaveLength(2)
      expect(finished.run.usageTotals.costUsd).toBeCloseTo(0.06)
    }))

  it.effect("a step whose own usage crosses the budget keeps its checkpoint and stops the run there", () =>
    withTide(async (tide) => {
      const runId = newRunId()
      const calls = { plan: 0, draft: 0 }
      const invoke = () =>
        tide.run("budget-at-checkpoint", { runId, budget: { maxTotalTokens: 100 } }, async (run) => {
          await run.step("plan", async () => {
            calls.plan++
            await run.usage.record({ inputTokens: 90, outputTokens: 20 })
            return "plan"
          })
          return run.step("draft", () => (calls.draft++, "draft"))
        })
      const error = await rejection(invoke)
      expect(error).toBeInstanceOf(BudgetExceededError)
      const detail = await tide.runs.get(runId)
      expect(detail.run).toMatchObject({ status: "failed", failureClass: "budget_exceeded" })
      expect(detail.steps.map((s) => [s.name, s.status])).toEqual([["plan", "completed"]])
      await tide.runs.setBudget(runId, null)
      expect(await invoke()).toBe("draft")
      expect(calls).toEqual({ plan: 1, draft: 1 })
    }))
})
