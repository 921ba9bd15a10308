import { expect } from "@effect/vitest"
import { Tidebase, Worker, Workflow } from "@tidebase/effect"
import { Effect, Layer } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url })))
let made = 0
const uniqueQueue = () => `effect-worker-${Date.now().toString(36)}-${++made}`

const untilCompleted = (runIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const tide = yield* Tidebase
    while (true) {
      const details = yield* Effect.forEach(runIds, (runId) => tide.runs.get(runId))
      if (details.every((d) => d.run.status === "completed")) return details
      yield* Effect.sleep("25 millis")
    }
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("runs not completed in time") }))

serverSuite("@tidebase/effect worker", (it) => it.layer(TidebaseTest)((it) => {
  it.effect("the Worker layer runs queued runs of its workflows, never more at once than its concurrency, and stops claiming when released", () =>
    Effect.gen(function*() {
      const tide = yield* Tidebase
      const queue = uniqueQueue()
      let running = 0
      let most = 0
      const double = (input: { n: number }) =>
        Workflow.step("double", Effect.gen(function*() {
          most = Math.max(most, ++running)
          // Each run waits (a while) for a second one to be running: a worker of concurrency 2 gets there, however loaded the machine.
          for (let waited = 0; running < 2 && waited < 1_000; waited += 5) yield* Effect.sleep("5 millis")
          yield* Effect.sleep("10 millis")
          running--
          return input.n * 2
        }))
      const runIds = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (n) => Effect.map(tide.enqueue("double", { queue, input: { n } }), ({ run }) => run.id))
      const details = yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(Worker.layer({ double }, { queues: [queue], concurrency: 2, waitMs: 500 }))
        return yield* untilCompleted(runIds)
      }))
      expect(details.map((d) => d.run.result)).toEqual([2, 4, 6, 8, 10, 12])
      expect(most).toBe(2)
      const after = yield* tide.enqueue("double", { queue, input: { n: 7 } })
      yield* Effect.sleep("300 millis")
      expect((yield* tide.runs.get(after.run.id)).run.status).toBe("queued")
    }))
}))
