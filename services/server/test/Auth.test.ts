import { expect } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const KEY = "test-secret-key"

serverSuite("opt-in bearer auth", (it) => {
  it.effect("with TIDEBASE_API_KEY set every route but /health needs the bearer", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const anonymous = http(url)
      const wrong = http(url, { authorization: "Bearer nope" })
      const authed = http(url, { authorization: `Bearer ${KEY}` })

      expect((yield* anonymous.get("/health")).status).toBe(200)
      expect((yield* anonymous.get("/runs")).status).toBe(401)
      expect((yield* wrong.post("/runs/auth", {})).status).toBe(401)
      const created = yield* authed.post("/runs/auth", {})
      expect(created.status).toBe(200)
      expect((yield* anonymous.get(`/runs/${created.body.run.id}`)).status).toBe(401)
      expect((yield* authed.get("/runs")).status).toBe(200)
    }))

  it.effect("?token= is accepted on the event stream only", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const runId = (yield* http(url, { authorization: `Bearer ${KEY}` }).post("/runs/auth", {})).body.run.id
      const anonymous = http(url)
      expect((yield* anonymous.get(`/runs/${runId}?token=${KEY}`)).status).toBe(401)
      const events = yield* anonymous.get(`/runs/${runId}/events?token=${KEY}`, { accept: "application/json" })
      expect(events.status).toBe(200)
      expect(events.body.events).toHaveLength(1)
    }))

  it.effect("CORS lets a browser on another origin call the API", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const preflight = yield* Effect.promise(() =>
        fetch(`${url}/runs`, {
          method: "OPTIONS",
          headers: { origin: "http://localhost:5173", "access-control-request-method": "GET", "access-control-request-headers": "authorization" }
        })
      )
      expect(preflight.status).toBeLessThan(300)
      expect(preflight.headers.get("access-control-allow-origin")).toBeTruthy()
    }))
}, { apiKey: Option.some(Redacted.make(KEY)) })
