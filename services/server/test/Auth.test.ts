import { expect } from "@effect/vitest"
import { TidebaseApi } from "@tidebase/api"
import { Effect, Option, Redacted } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const KEY = "test-secret-key"

/** Every route the api package declares, with its parameters filled in for `runId`. */
const routes = (runId: string) =>
  Object.values(TidebaseApi.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint) => ({
      method: endpoint.method,
      path: endpoint.path.replace(":runId", runId).replace(":workflowName", "auth").replace(":stepId", "step_x")
    }))
  )

const call = (url: string, method: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method,
      // JSON so that the event stream answers and closes instead of streaming.
      headers: { accept: "application/json", "content-type": "application/json", ...headers },
      ...(method === "GET" || method === "OPTIONS" ? {} : { body: "{}" })
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) }
  })

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

  it.effect("every route but /health refuses a missing or wrong key with the v0.6 401 body", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const runId = (yield* http(url, { authorization: `Bearer ${KEY}` }).post("/runs/auth", {})).body.run.id
      for (const route of routes(runId)) {
        for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: `Bearer ${KEY}x` }]) {
          const reply = yield* call(`${url}${route.path}`, route.method, headers)
          if (route.path === "/health") {
            expect([route.path, reply.status]).toEqual([route.path, 200])
            continue
          }
          expect([route.method, route.path, reply.status, reply.body]).toEqual([
            route.method,
            route.path,
            401,
            { _tag: "Unauthorized", error: "missing or invalid API key", code: "unauthorized" }
          ])
        }
      }
    }))

  it.effect("?token= is refused on every route but the event streams (one run's, every run's)", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const runId = (yield* http(url, { authorization: `Bearer ${KEY}` }).post("/runs/auth", {})).body.run.id
      const stream = `/runs/${runId}/events`
      const streams = [stream, "/events"]
      for (const route of routes(runId).filter((r) => r.path !== "/health")) {
        const reply = yield* call(`${url}${route.path}?token=${KEY}`, route.method)
        expect([route.method, route.path, reply.status]).toEqual([route.method, route.path, streams.includes(route.path) ? 200 : 401])
      }
      expect((yield* call(`${url}${stream}?token=nope`, "GET")).status).toBe(401)
      // A wrong bearer does not hide a right token: EventSource cannot drop a header it never set.
      expect((yield* call(`${url}${stream}?token=${KEY}`, "GET", { authorization: "Bearer nope" })).status).toBe(200)
    }))

  it.effect("a preflight OPTIONS needs no key", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const runId = (yield* http(url, { authorization: `Bearer ${KEY}` }).post("/runs/auth", {})).body.run.id
      for (const route of routes(runId)) {
        const preflight = yield* call(`${url}${route.path}`, "OPTIONS", {
          origin: "http://localhost:5173",
          "access-control-request-method": route.method,
          "access-control-request-headers": "authorization,content-type"
        })
        expect([route.path, preflight.status]).toEqual([route.path, 204])
        expect(preflight.headers.get("access-control-allow-origin")).toBe("*")
        expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization")
      }
    }))

  it.effect("a refusal still carries CORS headers, so a browser can read the 401", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const reply = yield* call(`${url}/runs`, "GET", { origin: "http://localhost:5173" })
      expect(reply.status).toBe(401)
      expect(reply.headers.get("access-control-allow-origin")).toBe("*")
    }))
}, { apiKey: Option.some(Redacted.make(KEY)) })
