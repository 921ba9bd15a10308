import { describe, expect, it as pure } from "@effect/vitest"
import { DuplicateStepName, Tidebase, UnserializableOutput, Workflow, WorkflowMismatch } from "@tidebase/effect"
import { Effect, Layer, Schema } from "effect"
import { copyJson, findUnfaithfulJson } from "../src/JsonValue.js"
import { serverSuite, TestServer } from "../../../test/TestServer.js"
import { startProxy } from "../../../test/Proxy.js"

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url })))
const newRunId = () => `effect-${crypto.randomUUID()}`
const detail = (runId: string) => Effect.flatMap(Tidebase, (tide) => tide.runs.get(runId))

describe("step outputs JSON cannot carry", () => {
  const cyclic: Record<string, unknown> = { a: { b: [] } }
  ;((cyclic.a as Record<string, unknown>).b as Array<unknown>).push(cyclic.a)
  const cases: ReadonlyArray<readonly [string, unknown, string, string]> = [
    ["a BigInt", { items: [{ id: 1 }, { id: 2 }, { id: 3n }] }, "$.items[2].id", "a BigInt (3n)"],
    ["a Map", { byId: new Map() }, "$.byId", "a Map"],
    ["a Set", [new Set([1])], "$[0]", "a Set"],
    ["a function", { onDone: () => 1 }, "$.onDone", "a function"],
    ["a symbol", { kind: Symbol("k") }, "$.kind", "a symbol"],
    ["a cycle", cyclic, "$.a.b[0]", "a cycle back to $.a"],
    ["undefined at the top", undefined, "$", "undefined"],
    ["NaN", { score: Number.NaN }, "$.score", "NaN"],
    ["Infinity", [1, -Infinity], "$[1]", "-Infinity"],
    ["a forgotten await", { page: Promise.resolve(1) }, "$.page", "a Promise"],
    ["an odd key", { "two words": 1n }, `$["two words"]`, "a BigInt"],
    ["what toJSON returns", { money: { toJSON: () => ({ cents: 150n }) } }, "$.money.cents", "a BigInt"]
  ]
  for (const [what, value, path, found] of cases) {
    pure(`${what} is refused at ${path}`, () => {
      const refusal = findUnfaithfulJson(value)
      expect(refusal?.path).toBe(path)
      expect(refusal?.found.startsWith(found)).toBe(true)
    })
  }

  pure("plain JSON, a Date, undefined properties and a value shared by two branches are accepted", () => {
    const shared = { id: 1 }
    expect(findUnfaithfulJson({ a: shared, b: [shared], at: new Date(), gone: undefined, n: null, s: "x", t: true })).toBeUndefined()
    expect(findUnfaithfulJson([undefined, 1])).toBeUndefined()
    expect(findUnfaithfulJson("text")).toBeUndefined()
  })

  pure("nesting deeper than the server takes is refused instead of overflowing the stack", () => {
    let deep: unknown = 1
    for (let i = 0; i < 10_000; i++) deep = [deep]
    expect(findUnfaithfulJson(deep)?.found).toContain("nested deeper")
  })

  pure("a copy of a checkpoint shares nothing mutable with it, a __proto__ key included", () => {
    const stored = JSON.parse(`{"tags":["a"],"limits":{"depth":3},"__proto__":{"polluted":true}}`)
    const copy = copyJson(stored)
    copy.tags.push("b")
    copy.limits.depth = 9
    expect(stored).toEqual(JSON.parse(`{"tags":["a"],"limits":{"depth":3},"__proto__":{"polluted":true}}`))
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(["tags", "limits", "__proto__"])
  })
})

serverSuite("@tidebase/effect mistakes", (it) => it.layer(TidebaseTest)((it) => {
  it.effect("a duplicate step name fails with DuplicateStepName in the error channel and the first checkpoint stands", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const error = yield* Effect.flip(Workflow.run("duplicates", { runId }, () =>
        Effect.gen(function*() {
          yield* Workflow.step("page", Effect.succeed(1))
          return yield* Workflow.step("page", Effect.succeed(2))
        })))
      expect(error).toBeInstanceOf(DuplicateStepName)
      const run = yield* detail(runId)
      expect(run.steps.map((s) => [s.name, s.status, s.output])).toEqual([["page", "completed", 1]])
    }))

  it.effect("a step that failed may be called again under its name (a retry around it), and its second run is recorded", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      let attempts = 0
      const result = yield* Workflow.run("retried-around", { runId }, () =>
        Workflow.step("flaky", Effect.suspend(() => ++attempts === 1 ? Effect.fail("first time") : Effect.succeed(attempts))).pipe(
          Effect.retry({ times: 1 })
        ))
      expect(result).toBe(2)
      const run = yield* detail(runId)
      expect(run.steps.map((s) => [s.name, s.status, s.output])).toEqual([["flaky", "completed", 2]])
    }))

  it.effect("an output Schema's encoded form is what is checked: a BigInt it leaves in place is refused before any write", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const error = yield* Effect.flip(Workflow.run("encoded", { runId }, () =>
        Workflow.step("count", { output: Schema.Struct({ n: Schema.BigIntFromSelf }) }, Effect.succeed({ n: 5n }))))
      expect(error).toBeInstanceOf(UnserializableOutput)
      expect(error).toMatchObject({ step: "count", path: "$.n" })
      const encoded = yield* Workflow.run("encoded", { runId: newRunId() }, () =>
        Workflow.step("count", { output: Schema.Struct({ n: Schema.BigInt }) }, Effect.succeed({ n: 5n })))
      expect(encoded).toEqual({ n: 5n })
      expect((yield* detail(runId)).steps).toEqual([])
    }))

  it.effect("a run id of another workflow fails with WorkflowMismatch, catchable by tag", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      yield* Workflow.run("first", { runId }, () => Workflow.step("a", Effect.succeed(1)))
      const caught = yield* Workflow.run("second", { runId }, () => Effect.succeed("ran")).pipe(
        Effect.catchTag("WorkflowMismatch", (e) => Effect.succeed(e))
      )
      expect(caught).toBeInstanceOf(WorkflowMismatch)
      expect(caught).toMatchObject({ workflowName: "second", runWorkflowName: "first" })
    }))

  it.effect("over fetch, a checkpoint whose answer is lost is retried into exactly one checkpoint", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => startProxy(url)), (p) => Effect.promise(() => p.close()))
      proxy.loseAnswers((method, path) => method === "POST" && path.endsWith("/steps/checkpoint"), 2)
      const runId = newRunId()
      let runs = 0
      const journal = yield* Workflow.run("lossy", { runId }, () =>
        Effect.gen(function*() {
          yield* Workflow.step("a", Effect.sync(() => ++runs))
          yield* Workflow.step("b", Effect.sync(() => ++runs))
          return yield* Workflow.journal
        })).pipe(Effect.provide(Tidebase.layer({ url: proxy.url })))
      expect(runs).toBe(2)
      expect(journal.map((r) => r.name)).toEqual(["a", "b"])
      expect(proxy.log.filter((r) => r.outcome === "answer lost")).toHaveLength(2)
      const run = yield* detail(runId)
      expect(run.steps.map((s) => [s.name, s.status, s.output])).toEqual([["a", "completed", 1], ["b", "completed", 2]])
      expect(run.events.filter((e) => e.type === "step.completed")).toHaveLength(2)
    }).pipe(Effect.scoped))
}))
