import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as D from "../src/index.js"

import { apply, beginStepCommand, created, T0 } from "./Fixtures.js"

const begun = (state: D.RunAggregate, leaseOwner: string, now = T0) =>
  apply(state, D.decideBegin(state, { runId: "run_1", leaseOwner, leaseMs: 1000, now }))

const beginStep = (state: D.RunAggregate, overrides: Partial<D.BeginStep> = {}) =>
  Either.getOrThrow(D.decideBeginStep(state, beginStepCommand(overrides)))

describe("run decisions", () => {
  it("creating an existing run id decides nothing, so one id never makes two runs", () => {
    expect(D.decideCreate(created, { runId: "run_1", workflowName: "wf", input: {}, metadata: {}, recoveryWebhook: null, channels: null, now: T0 })).toEqual([])
  })

  it("a live run lease excludes other owners until it expires", () => {
    const held = begun(created, "w1")
    expect(Either.getLeft(D.decideBegin(held, { runId: "run_1", leaseOwner: "w2", leaseMs: 1000, now: T0 + 10 }))._tag).toBe("Some")
    const taken = begun(held, "w2", T0 + 2000)
    expect(taken.run?.leaseOwner).toBe("w2")
    expect(taken.run?.attempt).toBe(2)
  })

  it("a stale lease holder is fenced from completing the run after takeover", () => {
    const taken = begun(begun(created, "w1"), "w2", T0 + 2000)
    const stale = D.decideComplete(taken, { runId: "run_1", result: 1, fence: { leaseOwner: "w1" }, now: T0 + 2001 })
    expect(Either.isLeft(stale) && stale.left._tag).toBe("LeaseLost")
    const staleEpoch = D.decideComplete(taken, { runId: "run_1", result: 1, fence: { leaseOwner: "w2", leaseEpoch: 1 }, now: T0 + 2001 })
    expect(Either.isLeft(staleEpoch)).toBe(true)
  })

  it("a completed run stays completed: complete and fail decide nothing more", () => {
    const done = apply(begun(created, "w1"), D.decideComplete(begun(created, "w1"), { runId: "run_1", result: 1, fence: undefined, now: T0 }))
    expect(done.run?.status).toBe("completed")
    expect(D.decideFail(done, { runId: "run_1", error: "x", failureClass: null, fence: undefined, newRecoveryId: "recovery_1", now: T0 })).toEqual(Either.right([]))
    expect(D.decideBegin(done, { runId: "run_1", leaseOwner: "w9", leaseMs: 1, now: T0 })).toEqual(Either.right([]))
  })
})

describe("step decisions", () => {
  it("a completed step answers return with its output, and input_mismatch for another hash", () => {
    const started = beginStep(created)
    if (started.action !== "execute") throw new Error("expected execute")
    const state = D.fold(started.events, created)
    const done = apply(state, D.decideCompleteStep(state, { runId: "run_1", stepId: "step_1", fence: { leaseOwner: "gen" }, output: { ok: 1 }, now: T0 }))
    expect(beginStep(done)).toMatchObject({ action: "return", step: { output: { ok: 1 } } })
    expect(beginStep(done, { inputHash: "h2" }).action).toBe("input_mismatch")
  })

  it("a live step lease answers locked to everyone, the holder included", () => {
    const started = beginStep(created, { generatedOwner: "a" })
    if (started.action !== "execute") throw new Error("expected execute")
    const state = D.fold(started.events, created)
    expect(beginStep(state, { generatedOwner: "b" }).action).toBe("locked")
    expect(beginStep(state, { generatedOwner: "a" }).action).toBe("locked")
  })

  it("an expired step lease is taken over and the old holder is fenced", () => {
    const first = beginStep(created, { generatedOwner: "a" })
    if (first.action !== "execute") throw new Error("expected execute")
    const state = D.fold(first.events, created)
    const second = beginStep(state, { generatedOwner: "b", now: T0 + 5000 })
    expect(second.action).toBe("execute")
    if (second.action !== "execute") return
    const taken = D.fold(second.events, state)
    const stale = D.decideCompleteStep(taken, { runId: "run_1", stepId: "step_1", fence: { leaseOwner: "a" }, output: 1, now: T0 + 5001 })
    expect(Either.isLeft(stale) && stale.left._tag).toBe("LeaseLost")
  })

  it("a cancelled run answers cancelled to step begin", () => {
    const cancelled: D.RunAggregate = { ...created, run: { ...created.run!, status: "cancelled" } }
    expect(beginStep(cancelled).action).toBe("cancelled")
  })
})
