import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as D from "../src/index.js"
import { apply, beginStepCommand, created, RUN_ID, T0 } from "./Fixtures.js"

const usage = (fields: Partial<D.RecordUsage["usage"]> = {}): D.RecordUsage["usage"] => ({
  stepId: null,
  provider: null,
  model: null,
  label: null,
  quantity: null,
  unit: null,
  inputTokens: null,
  outputTokens: null,
  totalTokens: null,
  costUsd: null,
  metadata: {},
  idempotencyKey: null,
  ...fields
})

const record = (state: D.RunAggregate, fields: Partial<D.RecordUsage["usage"]>, id = "u1") =>
  Either.getOrThrow(D.decideRecordUsage(state, { runId: RUN_ID, usage: usage(fields), newUsageId: id, now: T0 }))

const withBudget = (budget: D.Budget) => apply(created, D.decideSetBudget(created, { runId: RUN_ID, budget, now: T0 }))

describe("usage and budget rules", () => {
  it("totalTokens is input + output when not given, null when no count is; kind defaults to custom", () => {
    expect(record(created, { inputTokens: 7, outputTokens: 3 }).usage).toMatchObject({ totalTokens: 10, kind: "custom" })
    expect(record(created, { inputTokens: 7, totalTokens: 100 }).usage.totalTokens).toBe(100)
    expect(record(created, { costUsd: 1 }).usage.totalTokens).toBe(null)
  })

  it("a usage record whose idempotency key was seen is answered with the first and appends nothing", () => {
    const first = record(created, { inputTokens: 5, idempotencyKey: "k" }, "u1")
    const state = D.fold(first.events, created)
    const again = record(state, { inputTokens: 999, idempotencyKey: "k" }, "u2")
    expect(again.events).toEqual([])
    expect(again.usage.id).toBe("u1")
    expect(record(state, { inputTokens: 1, idempotencyKey: "other" }).events).toHaveLength(1)
  })

  it("the run's totals add up every record, costs without float noise", () => {
    let state = created
    for (const costUsd of [0.1, 0.2]) state = D.fold(record(state, { costUsd, inputTokens: 1, outputTokens: 2 }).events, state)
    expect([state.run!.costUsd, state.run!.inputTokens, state.run!.outputTokens, state.run!.totalTokens]).toEqual([0.3, 2, 4, 6])
  })

  it("a run at its budget may go on; past it the next step is not executed and the run fails with budget_exceeded once", () => {
    let state = withBudget({ maxCostUsd: 1, maxTotalTokens: null })
    state = D.fold(record(state, { costUsd: 1 }).events, state)
    expect(Either.getOrThrow(D.decideBeginStep(state, beginStepCommand())).action).toBe("execute")
    state = D.fold(record(state, { costUsd: 0.01 }, "u2").events, state)
    const stopped = Either.getOrThrow(D.decideBeginStep(state, beginStepCommand()))
    expect(stopped.action).toBe("budget_exceeded")
    const events = (stopped as { events: ReadonlyArray<D.RunEvent> }).events
    expect(events.map((e) => e._tag)).toEqual(["run.failed"])
    state = D.fold(events, state)
    expect([state.run!.status, state.run!.failureClass]).toEqual(["failed", D.BUDGET_EXCEEDED])
    const again = Either.getOrThrow(D.decideBeginStep(state, beginStepCommand()))
    expect(again).toEqual({ action: "budget_exceeded", events: [] })
  })

  it("raising the budget lets the next step execute", () => {
    let state = withBudget({ maxCostUsd: null, maxTotalTokens: 10 })
    state = D.fold(record(state, { inputTokens: 11 }).events, state)
    expect(Either.getOrThrow(D.decideBeginStep(state, beginStepCommand())).action).toBe("budget_exceeded")
    state = apply(state, D.decideSetBudget(state, { runId: RUN_ID, budget: { maxCostUsd: null, maxTotalTokens: 20 }, now: T0 }))
    expect(Either.getOrThrow(D.decideBeginStep(state, beginStepCommand())).action).toBe("execute")
    expect(D.decideSetBudget(state, { runId: RUN_ID, budget: { maxCostUsd: null, maxTotalTokens: 20 }, now: T0 })).toEqual(Either.right([]))
  })

  it("a checkpoint on an over-budget run keeps the step's output and stops the run", () => {
    let state = withBudget({ maxCostUsd: 0, maxTotalTokens: null })
    state = apply(state, D.decideBegin(state, { runId: RUN_ID, leaseOwner: "w", leaseMs: 1000, now: T0 }))
    state = D.fold(record(state, { costUsd: 0.5 }).events, state)
    const outcome = Either.getOrThrow(D.decideRecordStep(state, {
      runId: RUN_ID, name: "s", inputHash: "h", input: null, options: {}, output: 42, fence: { leaseOwner: "w" }, newStepId: "step_s", now: T0
    }))
    expect(outcome.action).toBe("budget_exceeded")
    const after = D.fold((outcome as { events: ReadonlyArray<D.RunEvent> }).events, state)
    expect([after.steps.get("s")?.status, after.steps.get("s")?.output, after.run!.failureClass]).toEqual(["completed", 42, D.BUDGET_EXCEEDED])
  })

  it("new events round-trip through storage, and a run.created stored without a budget reads as null", () => {
    const events = [...record(created, { inputTokens: 1, idempotencyKey: "k" }).events, ...Either.getOrThrow(D.decideSetBudget(created, { runId: RUN_ID, budget: { maxCostUsd: 2, maxTotalTokens: null }, now: T0 }))]
    for (const event of events) {
      const { payload, type } = D.toStored(event)
      expect(D.fromStored(type, payload)).toEqual(event)
    }
    const { payload } = D.toStored(new D.RunCreated({ runId: "r", workflowName: "w", input: {}, metadata: {}, recoveryWebhook: null, channels: null, budget: null, at: "t" }))
    const { budget: _, ...old } = payload
    expect((D.fromStored("run.created", old) as D.RunCreated).budget).toBe(null)
  })
})
