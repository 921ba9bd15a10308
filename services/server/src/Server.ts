import { HttpApiBuilder, HttpMiddleware } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { TidebaseApi } from "@tidebase/api"
import { Layer } from "effect"
import { createServer } from "node:http"
import { AggregatesLive } from "./Aggregates.js"
import { apiKeyValue } from "./Config.js"
import type { ServerConfig } from "./Config.js"
import { EventsHttp } from "./Events/EventsHttp.js"
import { LiveEvents } from "./Events/LiveEvents.js"
import { EventStore } from "./EventStore/EventStore.js"
import { HealthHttp } from "./Http/HealthHttp.js"
import { AuthorizationLive } from "./Http/Authorization.js"
import { BadRequestMiddleware } from "./Http/BadRequests.js"
import { jsonBodies, logDefects } from "./Http/Middleware.js"
import { RunCache } from "./Runs/RunCache.js"
import { RunCommandRunner } from "./Runs/RunCommandRunner.js"
import { RunCommands } from "./Runs/RunCommands.js"
import { RunLoader } from "./Runs/RunLoad.js"
import { RunQueries } from "./Runs/RunQueries.js"
import { RunsHttp } from "./Runs/RunsHttp.js"
import { ServerSettings } from "./ServerSettings.js"
import { StepCommands } from "./Steps/StepCommands.js"
import { StepQueries } from "./Steps/StepQueries.js"
import { StepsHttp } from "./Steps/StepsHttp.js"

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

/** The command path: one cache, one loader and one event store shared by every feature's commands. */
const CommandsLive = Layer.mergeAll(RunCommands.DefaultWithoutDependencies, StepCommands.DefaultWithoutDependencies).pipe(
  Layer.provide(RunCommandRunner.DefaultWithoutDependencies),
  Layer.provideMerge(Layer.mergeAll(RunLoader.Default, RunCache.Default, EventStore.Default)),
  Layer.provideMerge(LiveEvents.Default),
  Layer.provide(AggregatesLive)
)

/**
 * The HTTP server over a database that is already migrated: needs a `SqlClient`/`PgClient`
 * and a `PgPool`, provides the listening `HttpServer` (its address tells tests which port it got).
 */
export const HttpServerLive = (config: ServerConfig) =>
  HttpApiBuilder.serve((app) => HttpMiddleware.cors()(jsonBodies(logDefects(app)))).pipe(
    Layer.provide(BadRequestMiddleware),
    Layer.provide(ApiLive),
    Layer.provide([
      AuthorizationLive(apiKeyValue(config)),
      CommandsLive,
      RunQueries.Default,
      StepQueries.Default,
      Layer.succeed(ServerSettings, { runLeaseMs: config.runLeaseMs, stepLeaseMs: config.stepLeaseMs })
    ]),
    Layer.provideMerge(NodeHttpServer.layer(createGracefulServer, { port: config.port, host: config.host })),
    // No span exporter is wired up, and building spans (and parsing each request's URL for
    // them) costs a measurable share of a checkpoint's CPU.
    HttpMiddleware.withTracerDisabledWhen(() => true),
    Layer.provide(Layer.setTracerEnabled(false))
  )
