import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { readSse } from "../../../test/Sse.js"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>

const RESOLVERS = 20

const openGate = (api: Api, body: object = {}) =>
  Effect.gen(function*() {
    const runId = (yield* api.post("/runs/gates", {})).body.run.id as string
    const begun = yield* api.post(`/runs/${runId}/gates/begin`, { name: "approve-refund", prompt: "Refund $40?", data: { amount: 40 }, ...body })
    return { runId, gate: begun.body.gate, begun }
  })

serverSuite("approval gates", (it) => {
  it.effect("begin is idempotent per (run, name): every begin answers wait with the same gate and its token", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { begun, gate, runId } = yield* openGate(api)
      expect(begun.body).toMatchObject({ action: "wait", gate: { status: "pending", prompt: "Refund $40?", data: { amount: 40 } } })
      expect(gate.resolveToken).toMatch(/^[0-9a-f]{64}$/)
      const again = yield* api.post(`/runs/${runId}/gates/begin`, { name: "approve-refund", prompt: "other" })
      expect(again.body).toEqual(begun.body)
      const read = yield* api.get(`/runs/${runId}/gates/${gate.id}`)
      expect(read.body).toEqual({ gate, runStatus: "pending" })
    }))

  it.effect("20 concurrent resolves of one gate: exactly one decides, the rest get 409 gate_resolved with the first decision", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { gate, runId } = yield* openGate(api)
      const replies = yield* Effect.all(
        Array.from({ length: RESOLVERS }, (_, i) =>
          api.post(`/runs/${runId}/gates/${gate.id}/resolve`, {
            token: gate.resolveToken,
            decision: i % 2 === 0 ? "approved" : "rejected",
            actor: `person-${i}`
          })),
        { concurrency: "unbounded" }
      )
      const winners = replies.filter((r) => r.status === 200)
      expect(winners).toHaveLength(1)
      const decided = winners[0]!.body.gate
      for (const loser of replies.filter((r) => r.status !== 200)) {
        expect([loser.status, loser.body.code]).toEqual([409, "gate_resolved"])
        expect([loser.body.gate.decision, loser.body.gate.actor]).toEqual([decided.decision, decided.actor])
      }
      const events = (yield* api.get(`/runs/${runId}/events`, { accept: "application/json" })).body.events
      expect(events.filter((e: { type: string }) => e.type === "gate.resolved")).toHaveLength(1)
    }))

  it.effect("a wrong token or an unknown gate is a 409 and decides nothing; the actor of the decision is recorded", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { gate, runId } = yield* openGate(api)
      const wrong = yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: "0".repeat(64), decision: "approved" })
      expect([wrong.status, wrong.body.code]).toEqual([409, "gate_token_mismatch"])
      const unknown = yield* api.post(`/runs/${runId}/gates/gate_unknown/resolve`, { token: gate.resolveToken, decision: "approved" })
      expect([unknown.status, unknown.body.code]).toEqual([409, "gate_not_found"])
      expect((yield* api.get(`/runs/${runId}/gates/gate_unknown`)).status).toBe(404)
      expect((yield* api.get(`/runs/${runId}/gates/${gate.id}`)).body.gate.status).toBe("pending")
      const ok = yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "rejected", actor: "ana", payload: { why: "too much" } })
      expect(ok.body.gate).toMatchObject({ status: "rejected", decision: "rejected", actor: "ana", decisionPayload: { why: "too much" } })
    }))

  it.effect("a resumed run that re-begins a decided gate gets return with the decision and never waits", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { gate, runId } = yield* openGate(api)
      yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "approved", actor: "ana" })
      const resumed = yield* api.post(`/runs/${runId}/gates/begin`, { name: "approve-refund", prompt: "Refund $40?" })
      expect(resumed.body).toMatchObject({ action: "return", gate: { id: gate.id, decision: "approved", actor: "ana" } })
    }))

  it.effect("the resolve token never appears in events or on the SSE stream, only in API answers", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const { gate, runId } = yield* openGate(api)
      yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "approved" })
      const sse = yield* readSse(`${url}/runs/${runId}/events`, 3)
      expect(sse.map((m) => m.data.type)).toEqual(["run.created", "gate.created", "gate.resolved"])
      expect(JSON.stringify(sse)).not.toContain(gate.resolveToken)
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(JSON.stringify(detail.events)).not.toContain(gate.resolveToken)
      expect(detail.gates.map((g: { resolveToken: string }) => g.resolveToken)).toEqual([gate.resolveToken])
    }))

  it.effect("a pending gate past its timeout resolves with its default decision as system:timeout", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { gate, runId } = yield* openGate(api, { timeoutMs: 100, defaultDecision: "approved" })
      yield* Effect.sleep("150 millis")
      const late = yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "rejected" })
      expect([late.status, late.body.gate.actor]).toEqual([409, "system:timeout"])
      const again = yield* api.post(`/runs/${runId}/gates/begin`, { name: "approve-refund", prompt: "Refund $40?" })
      expect(again.body).toMatchObject({ action: "return", gate: { status: "approved", actor: "system:timeout" } })
    }))

  it.effect("GET /gates?status=pending lists pending gates across runs, newest first, page by page", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const opened = []
      for (let i = 0; i < 3; i++) opened.push((yield* openGate(api)).gate.id)
      const first = (yield* api.get("/gates?status=pending&limit=2")).body
      expect(first.gates.map((g: { id: string }) => g.id)).toEqual([opened[2], opened[1]])
      const second = (yield* api.get(`/gates?status=pending&limit=2&cursor=${encodeURIComponent(first.next)}`)).body
      expect(second.gates[0].id).toBe(opened[0])
      expect(second.gates.every((g: { status: string }) => g.status === "pending")).toBe(true)
      for (const forged of ["yesterday", "2026-13-45T99:99:99.999Z|gate_x"]) {
        const reply = yield* api.get(`/gates?cursor=${forged}`)
        expect([reply.status, reply.body.issues[0].path]).toEqual([400, ["cursor"]])
      }
    }))

  it.effect("a bad gate request is a 400 naming the field", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { gate, runId } = yield* openGate(api)
      const noPrompt = yield* api.post(`/runs/${runId}/gates/begin`, { name: "x" })
      expect(noPrompt.body.issues.map((i: { path: Array<string> }) => i.path)).toEqual([["prompt"]])
      const badDecision = yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "maybe" })
      expect([badDecision.status, badDecision.body.issues[0].path]).toEqual([400, ["decision"]])
    }))

  it.effect("a completed run opens no new gate (409 run_completed), and re-begins of its decided gates still answer their decision", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { gate, runId } = yield* openGate(api)
      yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "approved" })
      yield* api.post(`/runs/${runId}/complete`, { result: "done" })
      const late = yield* api.post(`/runs/${runId}/gates/begin`, { name: "after-the-end", prompt: "?" })
      expect([late.status, late.body.code]).toEqual([409, "run_completed"])
      const again = yield* api.post(`/runs/${runId}/gates/begin`, { name: "approve-refund", prompt: "Refund $40?" })
      expect(again.body).toMatchObject({ action: "return", gate: { id: gate.id, decision: "approved" } })
    }))
})
