import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as D from "../src/index.js"
import { apply, beginStepCommand, created, RUN_ID, T0 } from "./Fixtures.js"

const beginGate = (overrides: Partial<D.BeginGate> = {}): D.BeginGate => ({
  runId: RUN_ID,
  name: "approve-refund",
  prompt: "Refund $40?",
  data: { amount: 40 },
  channels: null,
  capability: null,
  timeoutMs: null,
  defaultDecision: null,
  fence: undefined,
  newGateId: "gate_1",
  now: T0,
  ...overrides
})

const resolve = (overrides: Partial<D.ResolveGate> = {}): D.ResolveGate => ({
  runId: RUN_ID,
  gateId: "gate_1",
  tokenMatches: true,
  decision: "approved",
  actor: "ana",
  payload: { note: "ok" },
  now: T0 + 1000,
  ...overrides
})

const opened = (overrides: Partial<D.BeginGate> = {}) => {
  const outcome = Either.getOrThrow(D.decideBeginGate(created, beginGate(overrides)))
  return D.fold(outcome.events, created)
}

const tagOf = (e: Either.Either<unknown, { readonly _tag: string }>) => Either.isLeft(e) ? e.left._tag : "Right"

describe("gate rules", () => {
  it("begin is idempotent per (run, name): the first opens the gate, later ones wait on the same gate", () => {
    const first = Either.getOrThrow(D.decideBeginGate(created, beginGate()))
    expect(first.action).toBe("wait")
    expect(first.events.map((e) => e._tag)).toEqual(["gate.created"])
    const state = D.fold(first.events, created)
    const again = Either.getOrThrow(D.decideBeginGate(state, beginGate({ newGateId: "gate_other", prompt: "changed" })))
    expect(again).toMatchObject({ action: "wait", events: [], gate: { id: "gate_1", prompt: "Refund $40?" } })
  })

  it("a gate resolves exactly once: the first decision stands, a second or a wrong token is refused", () => {
    const state = opened()
    const wrongToken = D.decideResolveGate(state, resolve({ tokenMatches: false }))
    expect(tagOf(wrongToken)).toBe("GateTokenMismatch")
    const decided = apply(state, D.decideResolveGate(state, resolve()))
    expect(decided.gates.get("approve-refund")).toMatchObject({
      status: "approved", decision: "approved", actor: "ana", decisionPayload: { note: "ok" }, resolvedAt: new Date(T0 + 1000).toISOString()
    })
    const second = D.decideResolveGate(decided, resolve({ decision: "rejected", actor: "bob" }))
    expect(tagOf(second)).toBe("GateAlreadyResolved")
    expect(tagOf(D.decideResolveGate(decided, resolve({ gateId: "gate_unknown" })))).toBe("GateNotFound")
  })

  it("a resumed run that re-begins a decided gate gets return with the decision, and never waits", () => {
    const state = apply(opened(), D.decideResolveGate(opened(), resolve({ decision: "rejected" })))
    const again = Either.getOrThrow(D.decideBeginGate(state, beginGate({ now: T0 + 5000 })))
    expect(again).toMatchObject({ action: "return", events: [], gate: { status: "rejected", decision: "rejected" } })
  })

  it("a pending gate past its timeout resolves with its default decision as system:timeout, and a late person is refused", () => {
    const state = opened({ timeoutMs: 60_000, defaultDecision: "approved" })
    expect(D.decideExpireGate(state, "gate_1", T0 + 59_999)).toEqual([])
    const late = D.decideResolveGate(state, resolve({ decision: "rejected", now: T0 + 60_000 }))
    expect(Either.isLeft(late) && late.left._tag === "GateAlreadyResolved" && late.left.gate.actor).toBe(D.TIMEOUT_ACTOR)
    const begun = Either.getOrThrow(D.decideBeginGate(state, beginGate({ now: T0 + 61_000 })))
    expect(begun).toMatchObject({ action: "return", gate: { status: "approved", actor: D.TIMEOUT_ACTOR } })
    expect(begun.events.map((e) => e._tag)).toEqual(["gate.resolved"])
    const swept = D.decideExpireGate(state, "gate_1", T0 + 61_000)
    expect((swept[0] as D.GateResolved).gate.decision).toBe("approved")
  })

  it("a timeout without a default decision rejects", () => {
    expect(opened({ timeoutMs: 1000 }).gates.get("approve-refund")?.defaultDecision).toBe("rejected")
    expect(opened().gates.get("approve-refund")).toMatchObject({ timeoutAt: null, defaultDecision: null })
  })

  it("a cancelled run opens no gate, a fenced-out worker opens none, and an over-budget run is stopped at the gate", () => {
    const begun = apply(created, D.decideBegin(created, { runId: RUN_ID, leaseOwner: "a", leaseMs: 1000, now: T0 }))
    const taken = apply(begun, D.decideBegin(begun, { runId: RUN_ID, leaseOwner: "b", leaseMs: 1000, now: T0 + 2000 }))
    expect(tagOf(D.decideBeginGate(taken, beginGate({ fence: { leaseOwner: "a", leaseEpoch: 1 } })))).toBe("LeaseLost")
    const budgeted = apply(created, D.decideSetBudget(created, { runId: RUN_ID, budget: { maxCostUsd: 0, maxTotalTokens: null }, now: T0 }))
    const spent = D.fold(Either.getOrThrow(D.decideRecordUsage(budgeted, {
      runId: RUN_ID,
      usage: { stepId: null, provider: null, model: null, label: null, quantity: null, unit: null, inputTokens: null, outputTokens: null, totalTokens: null, costUsd: 1, metadata: {}, idempotencyKey: null },
      newUsageId: "u",
      now: T0
    })).events, budgeted)
    const stopped = Either.getOrThrow(D.decideBeginGate(spent, beginGate()))
    expect(stopped.action).toBe("budget_exceeded")
    expect(Either.getOrThrow(D.decideBeginStep(spent, beginStepCommand())).action).toBe("budget_exceeded")
  })

  it("gate events never carry a resolve token and round-trip through storage", () => {
    const state = opened()
    const events = [...Either.getOrThrow(D.decideResolveGate(state, resolve()))]
    for (const event of [...Either.getOrThrow(D.decideBeginGate(created, beginGate())).events, ...events]) {
      const { payload, type } = D.toStored(event)
      expect(JSON.stringify(payload)).not.toMatch(/token/i)
      expect(D.fromStored(type, payload)).toEqual(event)
    }
  })
})
