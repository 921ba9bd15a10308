import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as D from "../src/index.js"

import { beginStepCommand, created, T0 } from "./Fixtures.js"

const STEP_LEASE = 60_000
const RUN_LEASE = 1_000

const begun = (state: D.RunAggregate, leaseOwner: string, now: number) =>
  D.fold(Either.getOrThrow(D.decideBegin(state, { runId: "run_1", leaseOwner, leaseMs: RUN_LEASE, now })), state)

const beginStep = (state: D.RunAggregate, fence: D.Fence | undefined, options: unknown, now: number) =>
  Either.getOrThrow(D.decideBeginStep(state, beginStepCommand({ name: "send", options, fence, leaseMs: STEP_LEASE, now })))

const executed = (state: D.RunAggregate, outcome: D.StepBeginOutcome) => {
  if (outcome.action !== "execute") throw new Error(`expected execute, got ${outcome.action}`)
  return D.fold(outcome.events, state)
}

/** w1 begins the run and the step, then dies; w2 takes the run over once w1's run lease expired. */
const crashedUnder = (options: unknown, takeOverBy = "w2") => {
  const held = begun(created, "w1", T0)
  const running = executed(held, beginStep(held, { leaseOwner: "w1", leaseEpoch: 1 }, options, T0 + 10))
  return begun(running, takeOverBy, T0 + RUN_LEASE + 1)
}

describe("steps abandoned by a lost run lease", () => {
  it("a pure step running under an older run lease epoch is executed again at once, long before its step lease expires", () => {
    const taken = crashedUnder({})
    const outcome = beginStep(taken, { leaseOwner: "w2", leaseEpoch: 2 }, {}, T0 + RUN_LEASE + 2)
    expect(outcome.action).toBe("execute")
    const after = executed(taken, outcome)
    expect(after.steps.get("send")).toMatchObject({ attempt: 2, runEpoch: 2, leaseOwner: "w2", status: "running" })
  })

  it("a step with an unkeyed side effect abandoned mid-run parks in manual_review instead of running twice", () => {
    const taken = crashedUnder({ sideEffects: ["email"] })
    const outcome = beginStep(taken, { leaseOwner: "w2", leaseEpoch: 2 }, { sideEffects: ["email"] }, T0 + RUN_LEASE + 2)
    expect(outcome.action).toBe("parked")
    const after = D.fold(outcome.action === "parked" ? outcome.events : [], taken)
    expect(after.steps.get("send")).toMatchObject({ status: "manual_review", resumeDecision: "manual_review", attempt: 1 })
    expect(beginStep(after, { leaseOwner: "w2", leaseEpoch: 2 }, { sideEffects: ["email"] }, T0 + RUN_LEASE + 3).action).toBe("locked")
  })

  it("a keyed side effect is safe to replay, so its abandoned step executes again", () => {
    const options = { sideEffects: ["payment"], idempotencyKey: "order-1" }
    expect(beginStep(crashedUnder(options), { leaseOwner: "w2", leaseEpoch: 2 }, options, T0 + RUN_LEASE + 2).action).toBe("execute")
  })

  it("a worker restarted under the same name re-acquires the run and re-runs its own abandoned step at once", () => {
    const held = begun(created, "w1", T0)
    const running = executed(held, beginStep(held, { leaseOwner: "w1", leaseEpoch: 1 }, {}, T0 + 10))
    const restarted = begun(running, "w1", T0 + 20)
    expect(restarted.run?.attempt).toBe(2)
    expect(beginStep(restarted, { leaseOwner: "w1", leaseEpoch: 2 }, {}, T0 + 30).action).toBe("execute")
  })

  it("without a run lease (a v0.6 client) a running step keeps its step lease against other owners", () => {
    const running = executed(created, beginStep(created, { leaseOwner: "w1" }, {}, T0))
    expect(running.steps.get("send")?.runEpoch).toBeNull()
    const taken = begun(running, "w2", T0 + 5)
    expect(beginStep(taken, { leaseOwner: "w2", leaseEpoch: 1 }, {}, T0 + 6).action).toBe("locked")
    expect(beginStep(taken, { leaseOwner: "w2", leaseEpoch: 1 }, {}, T0 + STEP_LEASE + 1).action).toBe("execute")
  })

  it("a released run lease is granted to the next begin at once, and only its holder can release it", () => {
    const held = begun(created, "w1", T0)
    expect(Either.getOrThrow(D.decideRelease(held, { runId: "run_1", fence: { leaseOwner: "w2" }, now: T0 + 1 }))).toEqual([])
    const released = D.fold(Either.getOrThrow(D.decideRelease(held, { runId: "run_1", fence: { leaseOwner: "w1", leaseEpoch: 1 }, now: T0 + 1 })), held)
    expect(released.run).toMatchObject({ leaseOwner: null, status: "running" })
    expect(begun(released, "w2", T0 + 2).run).toMatchObject({ leaseOwner: "w2", attempt: 2 })
  })
})
