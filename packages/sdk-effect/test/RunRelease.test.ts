import { expect } from "@effect/vitest"
import { Tidebase, Workflow } from "@tidebase/effect"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url })))
const newRunId = () => `release-${crypto.randomUUID()}`
/** Far longer than the test may take: only a released lease lets the second invocation in. */
const LONG_LEASE_MS = 10 * 60_000

serverSuite("@tidebase/effect run lease release", (it) => it.layer(TidebaseTest)((it) => {
  it.effect("an interrupted workflow gives its run lease back, so the next invocation begins at once and runs the interrupted step again", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const inSlowStep = yield* Deferred.make<void>()
      let slowRuns = 0
      const workflow = (slow: boolean) =>
        Workflow.run("interrupted", { runId, leaseMs: LONG_LEASE_MS }, () =>
          Effect.gen(function*() {
            yield* Workflow.step("first", Effect.succeed(1))
            const second = yield* Workflow.step("second", { announceAfter: "10 millis" }, Effect.gen(function*() {
              slowRuns++
              if (slow) {
                yield* Deferred.succeed(inSlowStep, undefined)
                yield* Effect.never
              }
              return 2
            }))
            return { second, journal: yield* Workflow.journal }
          }))

      const fiber = yield* Effect.fork(workflow(true))
      yield* Deferred.await(inSlowStep)
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(fiber)

      const tide = yield* Tidebase
      expect((yield* tide.runs.get(runId)).run.leaseOwner).toBeNull()
      const resumed = yield* workflow(false).pipe(Effect.timeout("20 seconds"))
      expect(resumed.second).toBe(2)
      expect(resumed.journal).toEqual([{ name: "first", outcome: "replayed" }, { name: "second", outcome: "executed" }])
      expect(slowRuns).toBe(2)
      expect((yield* tide.runs.get(runId)).events.filter((e) => e.type === "run.released")).toHaveLength(1)
    }))
}))
