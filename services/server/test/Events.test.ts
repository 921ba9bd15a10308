import { expect } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { readSse } from "../../../test/Sse.js"
import { http, serverSuite, TestServer, TestServerLive } from "../../../test/TestServer.js"

const completeStep = (api: ReturnType<typeof http>, runId: string, name: string) =>
  Effect.gen(function*() {
    const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name, inputHash: "h" })
    yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, { leaseOwner: begun.body.leaseOwner, output: name })
  })

serverSuite("the run event stream", (it) => {
  it.effect("SSE replays history after ?after=N, then streams new events live, each with its seq as id", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const runId = (yield* api.post("/runs/events", {})).body.run.id
      yield* completeStep(api, runId, "one")
      const reader = yield* Effect.fork(readSse(`${url}/runs/${runId}/events?after=1`, 4))
      yield* Effect.sleep("300 millis")
      yield* completeStep(api, runId, "two")
      const messages = yield* reader.await.pipe(Effect.flatten)
      expect(messages.map((m) => [m.id, m.data.seq, m.data.type])).toEqual([
        ["2", 2, "step.started"],
        ["3", 3, "step.completed"],
        ["4", 4, "step.started"],
        ["5", 5, "step.completed"]
      ])
    }))

  it.effect("SSE resumes after Last-Event-ID", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const runId = (yield* api.post("/runs/events", {})).body.run.id
      yield* completeStep(api, runId, "one")
      const messages = yield* readSse(`${url}/runs/${runId}/events`, 1, { "last-event-id": "2" })
      expect(messages.map((m) => m.data.seq)).toEqual([3])
    }))

  it.effect("a second server process on the same database streams events written through the first", () =>
    Effect.gen(function*() {
      const first = (yield* TestServer).url
      const second = yield* Layer.build(TestServerLive()).pipe(Effect.map((ctx) => Context.get(ctx, TestServer).url))
      expect(second).not.toBe(first)
      const api = http(first)
      const runId = (yield* api.post("/runs/events", {})).body.run.id
      const reader = yield* Effect.fork(readSse(`${second}/runs/${runId}/events`, 3))
      yield* Effect.sleep("300 millis")
      yield* completeStep(api, runId, "remote")
      const messages = yield* reader.await.pipe(Effect.flatten)
      expect(messages.map((m) => m.data.type)).toEqual(["run.created", "step.started", "step.completed"])
    }).pipe(Effect.scoped))

  it.effect("accept: application/json returns the run's whole event log in seq order", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/events", {})).body.run.id
      yield* completeStep(api, runId, "one")
      const log = yield* api.get(`/runs/${runId}/events`, { accept: "application/json" })
      expect(log.body.events.map((e: { seq: number; runId: string }) => [e.seq, e.runId])).toEqual([
        [1, runId],
        [2, runId],
        [3, runId]
      ])
    }))
})
