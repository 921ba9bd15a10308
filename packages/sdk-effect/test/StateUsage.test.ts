import { expect } from "@effect/vitest"
import { BudgetExceededError, StateNotFoundError, Tidebase, Workflow } from "@tidebase/effect"
import { Data, Effect, Layer, Option, Schema } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url })))
const newRunId = () => `effect-state-${crypto.randomUUID()}`

class Crash extends Data.TaggedError("Crash")<{}> {}

const ReviewerId = Schema.String.pipe(Schema.brand("ReviewerId"))
const Progress = Schema.Struct({
  status: Schema.Literal("drafting", "reviewing"),
  progress: Schema.Number,
  updatedAt: Schema.Date,
  /** Stored as epoch milliseconds: JSON alone would store an ISO string, which this Schema would not decode. */
  deadline: Schema.DateFromNumber,
  reviewer: Schema.NullOr(ReviewerId)
})
const progress = Workflow.state(Progress)

const detail = (runId: string) => Effect.flatMap(Tidebase, (tide) => tide.runs.get(runId))

serverSuite("@tidebase/effect state and usage", (it) => it.layer(TidebaseTest)((it) => {
  it.effect("a typed state round-trips a Date through the Effect SDK's schema, across a resume", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const started = new Date("2026-03-04T05:06:07.089Z")
      const reviewed = new Date("2026-03-04T06:00:00.000Z")
      const [due, extended] = [new Date("2026-03-10T00:00:00.000Z"), new Date("2026-03-12T00:00:00.000Z")]
      const workflow = (crash: boolean) =>
        Workflow.run("typed-state", { runId }, () =>
          Effect.gen(function*() {
            const before = yield* progress.get()
            if (crash) {
              yield* progress.set({ status: "drafting", progress: 0.2, updatedAt: started, deadline: due, reviewer: null })
              yield* Workflow.step("draft", Effect.succeed("draft"))
              // A patch encodes each key it holds with its own field: the Date is stored as the full value would store it.
              yield* progress.patch({ status: "reviewing", updatedAt: reviewed, deadline: extended, reviewer: ReviewerId.make("r_1") })
              return yield* new Crash()
            }
            return { before, after: yield* progress.get() }
          }))

      expect(yield* Effect.flip(workflow(true))).toBeInstanceOf(Crash)
      const { after, before } = yield* workflow(false)
      const expected = { status: "reviewing", progress: 0.2, updatedAt: reviewed, deadline: extended, reviewer: "r_1" }
      expect(before).toEqual(Option.some(expected))
      expect(Option.getOrThrow(before).updatedAt).toBeInstanceOf(Date)
      expect(after).toEqual(Option.some(expected))

      const { stateVersions } = yield* detail(runId)
      expect(stateVersions.map((v) => v.value)).toEqual([
        { status: "drafting", progress: 0.2, updatedAt: started.toISOString(), deadline: due.getTime(), reviewer: null },
        { status: "reviewing", progress: 0.2, updatedAt: reviewed.toISOString(), deadline: extended.getTime(), reviewer: "r_1" }
      ])
      expect(stateVersions[1]!.patch).toEqual({
        status: "reviewing",
        updatedAt: reviewed.toISOString(),
        deadline: extended.getTime(),
        reviewer: "r_1"
      })
    }))

  it.effect("a state or usage write inside a leased step carries the step's id, and one outside carries none", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const state = Workflow.state()
      yield* Workflow.run("step-scoped", { runId }, () =>
        Effect.gen(function*() {
          yield* state.set({ phase: "start" })
          yield* Workflow.recordUsage({ kind: "tool", quantity: 1 })
          yield* Workflow.step(
            "charge",
            { sideEffects: ["billing"], idempotencyKey: "charge-1" },
            Effect.zip(state.patch({ phase: "charged" }), Workflow.recordUsage({ kind: "llm", costUsd: 0.01 }), { concurrent: true })
          )
          return yield* Workflow.step("summarise", state.patch({ phase: "summarised" }))
        }))
      const run = yield* detail(runId)
      const charge = run.steps.find((s) => s.name === "charge")!.id
      expect(run.stateVersions.map((v) => [v.value, v.stepId])).toEqual([
        [{ phase: "start" }, null],
        [{ phase: "charged" }, charge],
        [{ phase: "summarised" }, null]
      ])
      expect(run.usage.map((u) => [u.kind, u.stepId])).toEqual([["tool", null], ["llm", charge]])
      expect(run.usage[0]!.idempotencyKey).toMatch(new RegExp(`^${runId}:[0-9a-f]{32}$`))
      expect(run.usage[1]!.idempotencyKey).toMatch(new RegExp(`^${runId}:charge:[0-9a-f]{32}:1$`))
    }))

  it.effect("crossing a budget fails the run with a tagged BudgetExceededError before the next step's effect runs", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      let drafted = 0
      const answers: Array<boolean> = []
      const workflow = Workflow.run("effect-budget", { runId, budget: { maxTotalTokens: 1_000 } }, () =>
        Effect.gen(function*() {
          const { budgetExceeded } = yield* Workflow.recordUsage({ kind: "llm", inputTokens: 900, outputTokens: 200 })
          answers.push(budgetExceeded)
          return yield* Workflow.step("draft", Effect.sync(() => ++drafted))
        }))
      const error = yield* Effect.flip(workflow)
      expect(error._tag).toBe("BudgetExceededError")
      expect((error as BudgetExceededError).run).toMatchObject({ failureClass: "budget_exceeded", usageTotals: { totalTokens: 1_100 } })
      expect(drafted).toBe(0)
      expect(answers).toEqual([true])
      const stopped = yield* Effect.flatMap(Tidebase, (tide) => tide.runs.setBudget(runId, { maxTotalTokens: 5_000 }))
      expect(stopped).toMatchObject({ status: "failed", failureClass: "budget_exceeded" })
      // The body outside steps runs again on resume, so its record is made (and counted) again.
      expect(yield* workflow).toBe(1)
      expect(answers).toEqual([true, false])
      expect((yield* detail(runId)).run.usageTotals.totalTokens).toBe(2_200)
    }))

  it.effect("save on a stream with no state fails with StateNotFoundError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Workflow.run("empty-save", { runId: newRunId() }, () => Workflow.state().save("v1")))
      expect(error).toBeInstanceOf(StateNotFoundError)
    }))
}))
