import { HttpServer } from "@effect/platform"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { layer } from "@effect/vitest"
import type { Vitest } from "@effect/vitest"
import { inject } from "vitest"
import { HttpServerLive, pgClientLayer } from "@tidebase/server"
import type { ServerConfig } from "@tidebase/server"

export class TestServer extends Context.Tag("test/TestServer")<TestServer, { readonly url: string }>() {}

export const testConfig = (overrides: Partial<ServerConfig> = {}): ServerConfig => ({
  port: 0,
  host: "127.0.0.1",
  databaseUrl: Option.none(),
  dataDir: ".tidebase",
  apiKey: Option.none(),
  autoMigrate: true,
  runLeaseMs: 30_000,
  stepLeaseMs: 60_000,
  logFormat: "text",
  // One line per request would bury the test output.
  accessLog: false,
  leanRoutes: true,
  reconcileMs: 1_000,
  queueBackoffMs: 5_000,
  publicUrl: Option.none(),
  webhookSecret: Option.none(),
  webhookTimeoutMs: 10_000,
  webhookRetryMs: 1_000,
  webhookMaxTries: 8,
  webhookDenyPrivate: false,
  dispatch: true,
  ...overrides
})

/** A real server on a random port over the suite's migrated database. */
export const TestServerLive = (overrides: Partial<ServerConfig> = {}, databaseUrl: string = inject("databaseUrl")) =>
  Layer.effect(
    TestServer,
    HttpServer.addressWith((address) =>
      Effect.succeed({ url: address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "" })
    )
  ).pipe(
    Layer.provide(HttpServerLive(testConfig(overrides))),
    Layer.provide(pgClientLayer(Redacted.make(databaseUrl)))
  )

export interface Reply<A = any> {
  readonly status: number
  readonly body: A
}

/** Plain HTTP as any v0.6 client speaks it. */
export const http = (base: string, headers: Record<string, string> = {}) => {
  const call = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    Effect.promise(async (): Promise<Reply> => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers, ...extra },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
      })
      const text = await response.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {}
      return { status: response.status, body: parsed }
    })
  return {
    get: (path: string, extra?: Record<string, string>) => call("GET", path, undefined, extra),
    post: (path: string, body?: unknown, extra?: Record<string, string>) => call("POST", path, body, extra),
    put: (path: string, body?: unknown, extra?: Record<string, string>) => call("PUT", path, body, extra),
    patch: (path: string, body?: unknown, extra?: Record<string, string>) => call("PATCH", path, body, extra),
    del: (path: string, extra?: Record<string, string>) => call("DELETE", path, undefined, extra)
  }
}


/**
 * A suite against one real server. Test services are excluded on purpose: under the
 * TestClock the server would stamp 1970 on every event and leases would never expire.
 */
export const serverSuite = (
  name: string,
  tests: (it: Vitest.MethodsNonLive<TestServer, true>) => void,
  overrides: Partial<ServerConfig> = {}
) => layer(TestServerLive(overrides), { excludeTestServices: true })(name, tests)
