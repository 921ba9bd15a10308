import { expect } from "@effect/vitest"
import { LeaseLostError, SessionClosedError } from "@tidebase/sdk"
import { serverSuite } from "../../../test/TestServer.js"
import { newRunId, rejection, throughProxy, withTide } from "./Harness.js"

const send = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    .then(async (response) => ({ status: response.status, body: await response.json() as any }))

serverSuite("@tidebase/sdk sessions", (it) => {
  it.effect("a session's completed step is not executed again when the run is re-attached, and complete ends the run with its result", () =>
    withTide(async (tide) => {
      const runId = newRunId("session")
      let executions = 0
      const first = await tide.runs.attach({ workflowName: "chat", runId, input: { user: "ana" } })
      expect(first.input).toEqual({ user: "ana" })
      expect(await first.step("greet", () => (executions++, "hello ana"))).toBe("hello ana")
      await first.fail(new Error("browser tab closed"))

      const second = await tide.runs.attach(runId)
      expect(second.workflowName).toBe("chat")
      expect(await second.step("greet", () => (executions++, "hello again"))).toBe("hello ana")
      await second.state.set({ turns: 1 })
      await second.usage.record({ inputTokens: 10, outputTokens: 5, costUsd: 0.001 })
      await second.complete({ transcript: ["hello ana"] })
      expect(executions).toBe(1)
      const detail = await tide.runs.get(runId)
      expect(detail.run).toMatchObject({ status: "completed", result: { transcript: ["hello ana"] } })
      expect(detail.state?.value).toEqual({ turns: 1 })
    }))

  it.effect("a session's writes after complete are refused with SessionClosedError, and the server's run is unchanged", () =>
    withTide(async (tide) => {
      const session = await tide.runs.attach({ workflowName: "chat" })
      await session.complete("done")
      expect(session.open).toBe(false)
      for (const write of [
        () => session.step("late", () => 1),
        () => session.state.set({ late: true }),
        () => session.usage.record({ inputTokens: 1 }),
        () => session.gates.begin("late", "?"),
        () => session.complete("again")
      ]) {
        expect(await rejection(write)).toBeInstanceOf(SessionClosedError)
      }
      const detail = await tide.runs.get(session.runId)
      expect(detail.run).toMatchObject({ status: "completed", result: "done" })
      expect([detail.steps.length, detail.usage.length, detail.gates.length]).toEqual([0, 0, 0])
    }))

  it.effect("gates.begin never blocks a session: it answers pending, then the decision once a person resolved it", () =>
    withTide(async (tide, url) => {
      const session = await tide.runs.attach({ workflowName: "chat" })
      const pending = await session.gates.begin("send-reply", "Send this reply?", { data: { draft: "hi" } })
      expect(pending.status).toBe("pending")
      const gate = pending.gate
      const resolved = await send(url, `/runs/${session.runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "approved", actor: "ana" })
      expect(resolved.status).toBe(200)
      expect(await session.gates.begin("send-reply", "Send this reply?")).toMatchObject({ status: "decided", decision: "approved", actor: "ana" })
      await session.complete()
    }))

  it.effect("the heartbeat keeps a session's lease past its length; when another worker takes the run over, onLeaseLost fires and the session's writes are refused", () =>
    throughProxy(async (tide, proxy, _direct, url) => {
      const runId = newRunId("session")
      const lost: Array<unknown> = []
      const session = await tide.runs.attach({ workflowName: "chat", runId, leaseMs: 300 }, { onLeaseLost: (e) => lost.push(e) })
      await new Promise((resolve) => setTimeout(resolve, 900))
      const held = await send(url, `/runs/${runId}/begin`, {})
      expect([held.status, held.body.code]).toEqual([409, "lease_held"])
      expect(await session.step("still-mine", () => "ok")).toBe("ok")

      // The session cannot reach the server for longer than its lease: another worker takes the run over.
      proxy.setUnavailable(true)
      await new Promise((resolve) => setTimeout(resolve, 600))
      const taken = await send(url, `/runs/${runId}/begin`, {})
      expect(taken.status).toBe(200)
      proxy.setUnavailable(false)
      const deadline = Date.now() + 5_000
      while (lost.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(lost).toHaveLength(1)
      expect(lost[0]).toBeInstanceOf(LeaseLostError)
      expect(session.open).toBe(false)
      expect(await rejection(() => session.step("after-takeover", () => "no"))).toBeInstanceOf(LeaseLostError)
      const detail = await tide.runs.get(runId)
      expect(detail.steps.map((s) => s.name)).toEqual(["still-mine"])
    }))
})
