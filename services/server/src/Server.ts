import { HttpApiBuilder, HttpMiddleware } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { TidebaseApi } from "@tidebase/api"
import { Layer } from "effect"
import { createServer } from "node:http"
import { apiKeyValue } from "./Config.js"
import type { ServerConfig } from "./Config.js"
import { EventsHttp } from "./Http/EventsHttp.js"
import { HealthHttp } from "./Http/HealthHttp.js"
import { authMiddleware, BadRequestMiddleware, jsonBodies, logDefects } from "./Http/Middleware.js"
import { RunsHttp } from "./Http/RunsHttp.js"
import { StepsHttp } from "./Http/StepsHttp.js"
import { EventStore } from "./EventStore/EventStore.js"
import { LiveEvents } from "./Live/LiveEvents.js"
import { RunCommands } from "./Runs/RunCommands.js"
import { RunQueries } from "./Runs/RunQueries.js"
import { ServerSettings } from "./ServerSettings.js"

/** Requests in flight get this long to finish at shutdown; event streams never finish on their own. */
const SHUTDOWN_GRACE_MS = 2_000

/**
 * `server.close` waits for every open connection, and an SSE reader keeps one open for
 * good: shutdown would hang (and leave the embedded Postgres behind). So closing drops
 * idle connections at once and the rest after a short grace.
 */
const createGracefulServer = () => {
  const server = createServer()
  const close = server.close.bind(server)
  server.close = (callback) => {
    close(callback)
    server.closeIdleConnections()
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref()
    return server
  }
  return server
}

const ApiLive = HttpApiBuilder.api(TidebaseApi).pipe(
  Layer.provide([HealthHttp, RunsHttp, StepsHttp, EventsHttp])
)

/**
 * The HTTP server over a database that is already migrated: needs a `SqlClient`/`PgClient`,
 * provides the listening `HttpServer` (its address tells tests which port it got).
 */
export const HttpServerLive = (config: ServerConfig) =>
  HttpApiBuilder.serve((app) => HttpMiddleware.cors()(authMiddleware(apiKeyValue(config))(jsonBodies(logDefects(app))))).pipe(
    Layer.provide(BadRequestMiddleware),
    Layer.provide(ApiLive),
    Layer.provide([
      RunCommands.Default,
      RunQueries.Default,
      EventStore.Default,
      LiveEvents.Default,
      Layer.succeed(ServerSettings, { runLeaseMs: config.runLeaseMs, stepLeaseMs: config.stepLeaseMs })
    ]),
    Layer.provideMerge(NodeHttpServer.layer(createGracefulServer, { port: config.port, host: config.host })),
    // No span exporter is wired up, and building spans for every request and query costs
    // a measurable share of a checkpoint's CPU.
    Layer.provide(Layer.setTracerEnabled(false))
  )

