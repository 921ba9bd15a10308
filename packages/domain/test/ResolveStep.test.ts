import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as D from "../src/index.js"

import { apply, beginStepCommand, created, T0 } from "./Fixtures.js"

/** An unkeyed external write that failed for good: parked in manual_review. */
const parked = (() => {
  const begun = Either.getOrThrow(D.decideBeginStep(created, beginStepCommand({
    name: "send", inputHash: "h", options: { sideEffects: ["write"] }, generatedOwner: "w"
  })))
  if (begun.action !== "execute") throw new Error("expected execute")
  const started = D.fold(begun.events, created)
  return apply(started, D.decideFailStep(started, {
    runId: "run_1", stepId: "step_1", fence: { leaseOwner: "w" }, error: "timeout", retryable: false, resumeDecision: undefined, now: T0
  }))
})()

const resolve = (state: D.RunAggregate, action: D.StepResolution, overrides: Partial<D.ResolveStep> = {}) =>
  D.decideResolveStep(state, { runId: "run_1", stepId: "step_1", action, output: "given", actor: "alice", reason: null, now: T0 + 1, ...overrides })

const tag = (r: Either.Either<unknown, { readonly _tag: string }>) => Either.isLeft(r) ? r.left._tag : "ok"

describe("resolving a parked step", () => {
  it("retry makes the step executable again: begin answers execute at attempt + 1", () => {
    const retried = apply(parked, resolve(parked, "retry"))
    expect(retried.steps.get("send")).toMatchObject({ status: "failed_retryable", resolution: "retry", resolvedBy: "alice" })
    const again = Either.getOrThrow(D.decideBeginStep(retried, beginStepCommand({ name: "send", inputHash: "h", generatedOwner: "w2", newStepId: "unused", now: T0 + 2 })))
    expect(again.action).toBe("execute")
    const restarted = D.fold(again.action === "execute" ? again.events : [], retried).steps.get("send")
    expect(restarted).toMatchObject({ id: "step_1", attempt: 2, status: "running", resolution: "retry" })
  })

  it("complete records the output as the checkpoint, which begin then returns", () => {
    const completed = apply(parked, resolve(parked, "complete"))
    expect(completed.steps.get("send")).toMatchObject({ status: "completed", output: "given", resolution: "complete" })
    const replay = Either.getOrThrow(D.decideBeginStep(completed, beginStepCommand({ name: "send", inputHash: "h", generatedOwner: "w2", newStepId: "unused", now: T0 + 2 })))
    expect(replay).toMatchObject({ action: "return", step: { output: "given" } })
  })

  it("fail fails the run with failureClass manual_fail and the step hard, in one decision", () => {
    const events = Either.getOrThrow(resolve(parked, "fail", { reason: "duplicate" }))
    expect(events.map((e) => e._tag)).toEqual(["step.resolved", "run.failed"])
    const failed = D.fold(events, parked)
    expect(failed.run).toMatchObject({ status: "failed", failureClass: D.MANUAL_FAIL, error: { actor: "alice", reason: "duplicate" } })
    expect(failed.steps.get("send")).toMatchObject({ status: "failed", resumeDecision: "fail_hard" })
  })

  it("a step resolves once per failure; a new failure clears the decision", () => {
    const retried = apply(parked, resolve(parked, "retry"))
    expect(tag(resolve(retried, "complete"))).toBe("StepNotResolvable")
    const rebegun = Either.getOrThrow(D.decideBeginStep(retried, beginStepCommand({
      name: "send", inputHash: "h", options: { sideEffects: ["write"] }, generatedOwner: "w2", newStepId: "unused", now: T0 + 2
    })))
    const running = D.fold(rebegun.action === "execute" ? rebegun.events : [], retried)
    const refailed = apply(running, D.decideFailStep(running, {
      runId: "run_1", stepId: "step_1", fence: { leaseOwner: "w2" }, error: "again", retryable: false, resumeDecision: undefined, now: T0 + 3
    }))
    expect(refailed.steps.get("send")).toMatchObject({ status: "manual_review", resolution: null, resolvedBy: null })
    expect(tag(resolve(refailed, "complete"))).toBe("ok")
  })

  it("never reopens a completed or cancelled run, and refuses unknown runs and steps", () => {
    const completed = apply(parked, D.decideComplete(parked, { runId: "run_1", result: 1, fence: undefined, now: T0 }))
    const cancelled: D.RunAggregate = { ...parked, run: { ...parked.run!, status: "cancelled" } }
    expect(tag(resolve(completed, "retry"))).toBe("RunAlreadyCompleted")
    expect(tag(resolve(cancelled, "complete"))).toBe("RunCancelled")
    expect(tag(resolve(D.emptyAggregate, "fail"))).toBe("RunNotFound")
    expect(tag(resolve(parked, "retry", { stepId: "step_x" }))).toBe("StepNotFound")
  })
})
