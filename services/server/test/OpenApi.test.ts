import { HttpApi } from "@effect/platform"
import { expect } from "@effect/vitest"
import { TidebaseApi } from "@tidebase/api"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

/** Every route the API declares (the server answers exactly these, plus the two that describe them). */
const declaredRoutes = () => {
  const routes: Array<{ readonly method: string; readonly path: string }> = []
  HttpApi.reflect(TidebaseApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => routes.push({ method: endpoint.method.toLowerCase(), path: endpoint.path.replace(/:(\w+)/g, "{$1}") })
  })
  return routes
}

serverSuite("the API described", (it) => {
  it.effect("GET /openapi.json lists every route the server answers, with its method, and the errors it may answer", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const spec = (yield* api.get("/openapi.json")).body
      expect(spec.openapi).toMatch(/^3\./)
      expect(spec.info.title).toBe("Tidebase")
      const routes = declaredRoutes()
      expect(routes.length).toBeGreaterThan(40)
      const missing = routes.filter((r) => spec.paths[r.path]?.[r.method] === undefined)
      expect(missing).toEqual([])
      const replay = spec.paths["/runs/{runId}/replay"].get
      expect(Object.keys(replay.responses)).toEqual(expect.arrayContaining(["200", "400", "404"]))
    }))

  it.effect("every route in the document is served: none answers the router's own 404", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const spec = (yield* api.get("/openapi.json")).body
      expect((yield* api.get("/no-such-route")).body.code).toBe("not_found")
      for (const [path, methods] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
        const url = path.replace(/\{(\w+)\}/g, "x")
        for (const method of Object.keys(methods)) {
          const json = { accept: "application/json" }
          const reply = yield* (method === "get" ? api.get(url, json)
            : method === "delete" ? api.del(url, json)
            : method === "put" ? api.put(url, {}, json)
            : method === "patch" ? api.patch(url, {}, json)
            : api.post(url, {}, json))
          expect({ method, path, code: reply.body?.code }).not.toEqual({ method, path, code: "not_found" })
        }
      }
    }))

  it.effect("GET /docs is an API reference page built from the document", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const page = yield* Effect.promise(() => fetch(`${url}/docs`).then(async (r) => ({ status: r.status, type: r.headers.get("content-type"), text: await r.text() })))
      expect(page.status).toBe(200)
      expect(page.type).toContain("text/html")
      expect(page.text).toContain("Tidebase")
    }))
})
