import { expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

const SERVERS = 3
const GATES = 6
const TIMEOUT_MS = 300

const serverUrl = Layer.build(TestServerLive()).pipe(Effect.map((context) => Context.get(context, TestServer).url))

const gateEvents = (api: ReturnType<typeof http>, runId: string) =>
  Effect.map(api.get(`/runs/${runId}/events`, { accept: "application/json" }), (r) =>
    r.body.events.filter((e: { type: string }) => e.type === "gate.resolved"))

it.scopedLive(
  `a gate past its timeout resolves with its default decision exactly once, with ${SERVERS} servers sweeping one database; a gate without a timeout never does`,
  () =>
    Effect.gen(function*() {
      const urls = yield* Effect.all(Array.from({ length: SERVERS }, () => serverUrl))
      const api = http(urls[0]!)
      const opened = yield* Effect.all(
        Array.from({ length: GATES }, (_, i) =>
          Effect.gen(function*() {
            const runId = (yield* api.post("/runs/timeouts", {})).body.run.id as string
            const body = { name: "approve", prompt: "ok?", timeoutMs: TIMEOUT_MS, ...(i % 2 === 0 ? { defaultDecision: "approved" } : {}) }
            const gate = (yield* api.post(`/runs/${runId}/gates/begin`, body)).body.gate
            return { runId, gate, expected: i % 2 === 0 ? "approved" : "rejected" }
          })),
        { concurrency: "unbounded" }
      )
      const forever = (yield* api.post(`/runs/${opened[0]!.runId}/gates/begin`, { name: "no-timeout", prompt: "?" })).body.gate

      yield* Effect.sleep(TIMEOUT_MS + 2_000)
      for (const { expected, gate, runId } of opened) {
        const read = (yield* http(urls[1]!).get(`/runs/${runId}/gates/${gate.id}`)).body.gate
        expect(read).toMatchObject({ status: expected, decision: expected, actor: "system:timeout" })
        expect(Date.parse(read.resolvedAt)).toBeGreaterThanOrEqual(Date.parse(gate.timeoutAt))
      }
      const resolvedEvents = yield* Effect.forEach(opened, ({ runId }) => gateEvents(api, runId))
      expect(resolvedEvents.map((events) => events.length)).toEqual(opened.map(() => 1))
      expect((yield* api.get(`/runs/${opened[0]!.runId}/gates/${forever.id}`)).body.gate.status).toBe("pending")
    }),
  20_000
)

it.scopedLive(
  `a run past its deadline is cancelled once (reason deadline, actor system:deadline) with ${SERVERS} servers reconciling one database; a finished run is left alone`,
  () =>
    Effect.gen(function*() {
      const urls = yield* Effect.all(Array.from({ length: SERVERS }, () => serverUrl))
      const api = http(urls[0]!)
      const overdue = (yield* api.post("/runs/deadlines", { deadlineMs: 300 })).body.run
      expect(Date.parse(overdue.deadlineAt) - Date.parse(overdue.createdAt)).toBe(300)
      const begun = (yield* api.post(`/runs/${overdue.id}/begin`, {})).body
      const gate = (yield* api.post(`/runs/${overdue.id}/gates/begin`, { name: "approve", prompt: "?" })).body.gate
      const finished = (yield* api.post("/runs/deadlines", { deadlineMs: 300 })).body.run
      yield* api.post(`/runs/${finished.id}/complete`, { result: "in time" })
      const later = (yield* api.post("/runs/deadlines", { deadlineMs: 60_000 })).body.run

      yield* Effect.sleep(300 + 2_000)
      const run = (yield* http(urls[2]!).get(`/runs/${overdue.id}`)).body
      expect(run.run).toMatchObject({ status: "cancelled", cancelReason: "deadline", cancelActor: "system:deadline" })
      expect(run.gates[0]).toMatchObject({ id: gate.id, status: "canceled", actor: "system:deadline" })
      expect(run.events.filter((e: { type: string }) => e.type === "run.cancelled")).toHaveLength(1)
      const step = yield* api.post(`/runs/${overdue.id}/steps/begin`, { name: "late", inputHash: "h", leaseOwner: begun.leaseOwner })
      expect(step.body).toMatchObject({ action: "cancelled", reason: "deadline" })
      expect((yield* api.get(`/runs/${finished.id}`)).body.run).toMatchObject({ status: "completed", cancelledAt: null })
      expect((yield* api.get(`/runs/${later.id}`)).body.run.status).toBe("pending")
    }),
  20_000
)

