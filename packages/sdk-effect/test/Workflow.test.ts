import { expect } from "@effect/vitest"
import { InputMismatchError, StepFailedError, Tidebase, Workflow } from "@tidebase/effect"
import { Data, Deferred, Effect, Fiber, Layer, Schedule, Schema } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url })))
const newRunId = () => `effect-${crypto.randomUUID()}`

class Crash extends Data.TaggedError("Crash")<{}> {}
class RateLimited extends Data.TaggedError("RateLimited")<{ readonly attempt: number }> {}

const UserId = Schema.String.pipe(Schema.brand("UserId"))
const Stamp = Schema.Struct({ at: Schema.Date, user: UserId })

/** Fetch calls that reach the server during `body`, by path. */
const countingRequests = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const original = globalThis.fetch
      const paths: Array<string> = []
      globalThis.fetch = (input, init) => {
        paths.push(new URL(input instanceof Request ? input.url : input.toString()).pathname)
        return original(input, init)
      }
      return { original, paths }
    }),
    ({ paths }) => Effect.map(body, (a) => [a, paths] as const),
    ({ original }) => Effect.sync(() => { globalThis.fetch = original })
  )

serverSuite("@tidebase/effect workflows", (it) => it.layer(TidebaseTest)((it) => {
  it.effect("a Schema-typed checkpoint decodes to the same value on replay", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const stamp = { at: new Date("2026-01-02T03:04:05.678Z"), user: UserId.make("u_1") }
      const workflow = (crash: boolean) =>
        Workflow.run("typed", { runId }, () =>
          Effect.gen(function*() {
            const value = yield* Workflow.step("stamp", { output: Stamp }, Effect.succeed(stamp))
            if (crash) return yield* new Crash()
            return { value, journal: yield* Workflow.journal }
          }))

      expect(yield* Effect.flip(workflow(true))).toBeInstanceOf(Crash)
      const resumed = yield* workflow(false)
      expect(resumed.journal).toEqual([{ name: "stamp", outcome: "replayed" }])
      expect(resumed.value.at).toBeInstanceOf(Date)
      expect(resumed.value).toEqual(stamp)

      const detail = yield* Effect.flatMap(Tidebase, (tide) => tide.runs.get(runId))
      expect(detail.steps[0]?.output).toEqual({ at: "2026-01-02T03:04:05.678Z", user: "u_1" })
    }))

  it.effect("resuming replays N completed steps from one checkpoint read, with no per-step round trip", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const names = Array.from({ length: 25 }, (_, i) => `step-${i}`)
      const workflow = (crash: boolean) =>
        Workflow.run("many", { runId }, () =>
          Effect.gen(function*() {
            for (const name of names) yield* Workflow.step(name, Effect.succeed(name))
            if (crash) return yield* new Crash()
            return yield* Workflow.journal
          }))

      yield* Effect.flip(workflow(true))
      const [journal, paths] = yield* countingRequests(workflow(false))
      expect(journal.every((r) => r.outcome === "replayed")).toBe(true)
      expect(journal).toHaveLength(names.length)
      expect(paths.filter((p) => p.includes("/steps/"))).toEqual([])
      expect(paths.filter((p) => p.endsWith("/checkpoints"))).toHaveLength(1)
      expect(paths.filter((p) => !p.endsWith("/heartbeat")).length).toBeLessThanOrEqual(4)
    }))

  it.effect("a completed run returns its stored result without running the body again", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      let bodies = 0
      const workflow = Workflow.run("stored", { runId, input: { n: 2 } }, (input: { n: number }) =>
        Effect.sync(() => {
          bodies++
          return input.n * 21
        }))
      expect(yield* workflow).toBe(42)
      expect(yield* workflow).toBe(42)
      expect(bodies).toBe(1)
    }))

  it.effect("a step whose input changed since its checkpoint fails with InputMismatchError", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const workflow = (topic: string, crash: boolean) =>
        Workflow.run("mismatch", { runId }, () =>
          Effect.gen(function*() {
            yield* Workflow.step("plan", { input: { topic } }, Effect.succeed(topic))
            if (crash) return yield* new Crash()
          }))
      yield* Effect.flip(workflow("tides", true))
      const error = yield* Effect.flip(workflow("waves", false))
      expect(error).toBeInstanceOf(InputMismatchError)
      expect(error).toMatchObject({ step: "plan" })
    }))

  it.effect("every step write carries the run's lease owner and epoch", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      yield* Workflow.run("fenced", { runId }, () =>
        Effect.all([Workflow.step("a", Effect.succeed(1)), Workflow.step("b", Effect.succeed(2))]))
      const { events } = yield* Effect.flatMap(Tidebase, (tide) => tide.runs.get(runId))
      const begun = events.find((e) => e.type === "run.started")?.payload as { leaseOwner: string }
      const started = events.filter((e) => e.type === "step.started").map((e) => (e.payload as { leaseOwner: string }).leaseOwner)
      expect(started).toEqual([begun.leaseOwner, begun.leaseOwner])
      expect(begun.leaseOwner).toMatch(/^worker_/)
    }))

  it.effect("a Schedule retries a step with its typed error; the final failure carries that error and the resume decision", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      let attempts = 0
      const error = yield* Effect.flip(Workflow.run("scheduled", { runId }, () =>
        Workflow.step(
          "call-model",
          { retries: Schedule.recurs(2).pipe(Schedule.addDelay(() => "10 millis")) },
          Effect.suspend(() => Effect.fail(new RateLimited({ attempt: ++attempts })))
        )))
      expect(attempts).toBe(3)
      expect(error).toBeInstanceOf(StepFailedError)
      const failed = error as StepFailedError
      expect(failed).toMatchObject({ step: "call-model", attempt: 3, resumeDecision: "safe_replay" })
      expect(failed.error).toEqual(new RateLimited({ attempt: 3 }))

      const detail = yield* Effect.flatMap(Tidebase, (tide) => tide.runs.get(runId))
      expect(detail.run).toMatchObject({ status: "failed", failureClass: "safe_replay" })
      expect(detail.steps[0]).toMatchObject({ status: "failed", attempt: 3, error: { tag: "RateLimited" } })
    }))

  it.effect("an output its Schema cannot encode fails the step on the server instead of leaving it leased", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const exit = yield* Effect.exit(Workflow.run("unencodable", { runId }, () =>
        Workflow.step("count", { output: Schema.Number.pipe(Schema.positive()) }, Effect.succeed(-1))))
      expect(exit._tag).toBe("Failure")
      const detail = yield* Effect.flatMap(Tidebase, (tide) => tide.runs.get(runId))
      expect(detail.steps[0]?.status).toBe("failed")
      expect(detail.run.status).toBe("failed")
    }))

  it.effect("a cancel interrupts the step's fiber in flight: the run fails with RunCancelledError and the step never completes", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const tide = yield* Tidebase
      const interrupted = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const running = yield* Workflow.run("cancel-in-flight", { runId }, () =>
        Workflow.step("slow", Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
        ))).pipe(Effect.flip, Effect.fork)
      yield* Deferred.await(started)
      yield* Effect.sleep("100 millis")
      yield* tide.runs.cancel(runId, { reason: "stop", actor: "ops" })
      const error = yield* Fiber.join(running)
      expect(error).toMatchObject({ _tag: "RunCancelledError", reason: "stop", actor: "ops" })
      yield* Deferred.await(interrupted).pipe(Effect.timeout("2 seconds"))
      const detail = yield* tide.runs.get(runId)
      expect(detail.steps.filter((s) => s.status === "completed")).toHaveLength(0)
    }))
}))

