import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

serverSuite("bad input is a 4xx naming the field", (it) => {
  it.effect("a missing or mistyped field answers 400 {error, issues} naming it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/bad-input", {})).body.run.id
      const cases = [
        [`/runs/${runId}/steps/begin`, { inputHash: "h" }, "name"],
        [`/runs/${runId}/steps/begin`, { name: "s", inputHash: 42 }, "inputHash"],
        [`/runs/${runId}/heartbeat`, {}, "leaseOwner"],
        [`/runs/${runId}/steps/step_x/complete`, { output: 1 }, "leaseOwner"],
        [`/runs/${runId}/steps/step_x/fail`, { leaseOwner: "w", resumeDecision: "maybe" }, "resumeDecision"],
        ["/runs/bad-input", { runId: "has spaces" }, "runId"],
        [`/runs/${runId}/begin`, { leaseMs: -5 }, "leaseMs"]
      ] as const
      for (const [path, body, field] of cases) {
        const reply = yield* api.post(path, body)
        expect([path, reply.status]).toEqual([path, 400])
        expect(reply.body.issues.map((i: { path: Array<string> }) => i.path[0])).toContain(field)
        expect(reply.body.error).toContain(field)
      }
    }))

  it.effect("a body that is not JSON answers 400, and stored data is untouched", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/bad-input", { input: { keep: true } })).body.run.id
      const reply = yield* api.post(`/runs/${runId}/complete`, "{not json")
      expect(reply.status).toBe(400)
      expect(reply.body.error).toMatch(/JSON/)
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.run).toMatchObject({ status: "pending", input: { keep: true } })
      expect(detail.events).toHaveLength(1)
    }))

  it.effect("an unknown run answers 404 on every route that names it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      for (const reply of [
        yield* api.get("/runs/no-such-run"),
        yield* api.get("/runs/no-such-run/events", { accept: "application/json" }),
        yield* api.get("/runs/no-such-run/checkpoints"),
        yield* api.post("/runs/no-such-run/begin"),
        yield* api.post("/runs/no-such-run/complete", { result: 1 }),
        yield* api.post("/runs/no-such-run/steps/begin", { name: "s", inputHash: "h" })
      ]) {
        expect(reply.status).toBe(404)
        expect(reply.body.code).toBe("run_not_found")
      }
    }))

  it.effect("a v0.6 client may POST begin and create with no body at all", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const created = yield* Effect.promise(() => fetch(`${url}/runs/no-body`, { method: "POST" }).then((r) => r.json()))
      const begun = yield* Effect.promise(() =>
        fetch(`${url}/runs/${created.run.id}/begin`, { method: "POST", headers: { "content-type": "application/json" } }).then((r) => r.json())
      )
      expect(begun.run.status).toBe("running")
      expect(typeof begun.leaseOwner).toBe("string")
    }))

  it.effect("unknown body fields are ignored", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const reply = yield* api.post("/runs/bad-input", { input: { a: 1 }, somethingNew: true })
      expect(reply.status).toBe(200)
    }))
})
