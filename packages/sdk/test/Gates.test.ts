import { expect } from "@effect/vitest"
import { GateResolveRefusedError } from "@tidebase/sdk"
import type { GateDecided, WorkflowRun } from "@tidebase/sdk"
import { Effect } from "effect"
import { serverSuite } from "../../../test/TestServer.js"
import { Crash, newRunId, rejection, withTide } from "./Harness.js"

/** Resolves the run's pending gate `name` over plain HTTP, as a product UI would with the gate's token. */
const resolveOver = async (url: string, runId: string, name: string, decision: string, actor: string) => {
  for (;;) {
    const detail = await (await fetch(`${url}/runs/${runId}`)).json() as { gates?: Array<{ id: string; name: string; resolveToken: string }> }
    const gate = detail.gates?.find((g) => g.name === name)
    if (gate !== undefined) {
      const reply = await fetch(`${url}/runs/${runId}/gates/${gate.id}/resolve`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: gate.resolveToken, decision, actor })
      })
      return reply.status
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

serverSuite("@tidebase/sdk gates", (it) => {
  it.effect("run.gate waits for a person's decision and a resumed run gets the same decision without waiting or re-running steps", () =>
    withTide(async (tide, url) => {
      const runId = newRunId("gate")
      let sends = 0
      let crashAfterGate = true
      const workflow = async (run: WorkflowRun) => {
        const draft = await run.step("draft", () => "hello")
        const approval: GateDecided = await run.gate("approve-send", "Send this?", { data: { draft } })
        if (crashAfterGate) throw new Crash("the worker died after the decision")
        if (approval.decision !== "approved") return "not sent"
        await run.step("send", () => ++sends)
        return `sent by ${approval.actor}`
      }
      const first = rejection(() => tide.run("gated", { runId }, workflow))
      expect(await resolveOver(url, runId, "approve-send", "approved", "ana")).toBe(200)
      expect(await first).toBeInstanceOf(Crash)

      crashAfterGate = false
      const started = Date.now()
      expect(await tide.run("gated", { runId }, workflow)).toBe("sent by ana")
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(sends).toBe(1)
      const detail = await tide.runs.get(runId)
      expect(detail.gates.map((g) => [g.status, g.actor])).toEqual([["approved", "ana"]])
      expect(detail.events.filter((e) => e.type === "gate.created")).toHaveLength(1)
      expect(detail.steps.find((s) => s.name === "draft")?.attempt).toBe(1)
    }))

  it.effect("a gate's timeout decides it for a waiting workflow with the default decision, as system:timeout", () =>
    withTide(async (tide) => {
      const result = await tide.run("gated-timeout", { runId: newRunId("gate-timeout") }, async (run) => {
        const decided = await run.gate("approve", "Go?", { timeoutMs: 300, defaultDecision: "rejected" })
        return [decided.decision, decided.actor]
      })
      expect(result).toEqual(["rejected", "system:timeout"])
    }))

  it.effect("tide.gates.resolve decides a session's gate once: a second decision or a wrong token rejects with GateResolveRefusedError and the first stands", () =>
    withTide(async (tide) => {
      const session = await tide.runs.attach({ workflowName: "review" })
      const opened = await session.gates.begin("approve", "Ship it?")
      if (opened.status !== "pending") throw new Error("expected a pending gate")
      const gate = await tide.gates.resolve(session.runId, opened.gate.id, { token: opened.gate.resolveToken, decision: "approved", actor: "ana" })
      expect(gate).toMatchObject({ status: "approved", actor: "ana" })
      const second = await rejection(() =>
        tide.gates.resolve(session.runId, opened.gate.id, { token: opened.gate.resolveToken, decision: "rejected", actor: "bob" }))
      expect(second).toBeInstanceOf(GateResolveRefusedError)
      expect(second).toMatchObject({ reason: "already_resolved", gate: { decision: "approved", actor: "ana" } })
      const wrong = await rejection(() => tide.gates.resolve(session.runId, opened.gate.id, { token: "0".repeat(64), decision: "rejected" }))
      expect(wrong).toMatchObject({ reason: "token_mismatch" })
      await session.complete()
    }))
})
