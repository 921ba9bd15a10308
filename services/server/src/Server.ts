import { HttpApiBuilder, HttpApiScalar, HttpMiddleware, HttpRouter } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { TidebaseApi } from "@tidebase/api"
import { QUEUE_BACKOFF } from "@tidebase/domain"
import type { Backoff } from "@tidebase/domain"
import { Effect, Layer, Option, Redacted } from "effect"
import { AggregatesLive } from "./Aggregates.js"
import { apiKeyValue } from "./Config.js"
import type { ServerConfig } from "./Config.js"
import { EventsHttp } from "./Events/EventsHttp.js"
import { LiveEvents } from "./Events/LiveEvents.js"
import { EventStore } from "./EventStore/EventStore.js"
import { HealthHttp } from "./Http/HealthHttp.js"
import { AuthorizationLive } from "./Http/Authorization.js"
import { accessLog } from "./Http/AccessLog.js"
import { createHttpServer } from "./Http/NodeServer.js"
import { hotRoutes } from "./Http/HotRoutes.js"
import { WireFailuresMiddleware } from "./Http/WireFailures.js"
import { RunCache } from "./Runs/RunCache.js"
import { RunCommandRunner } from "./Runs/RunCommandRunner.js"
import { RunCommands } from "./Runs/RunCommands.js"
import { RunLoader } from "./Runs/RunLoad.js"
import { RunQueries } from "./Runs/RunQueries.js"
import { RunsHttp } from "./Runs/RunsHttp.js"
import { ServerSettings } from "./ServerSettings.js"
import { StepCommands } from "./Steps/StepCommands.js"
import { StepQueries } from "./Steps/StepQueries.js"
import { ResolveStepCommand } from "./Steps/ResolveStep.js"
import { RunHandlers } from "./Runs/RunHandlers.js"
import { StepHandlers } from "./Steps/StepHandlers.js"
import { StepsHttp } from "./Steps/StepsHttp.js"
import { StateCommands } from "./State/StateCommands.js"
import { StateHttp } from "./State/StateHttp.js"
import { StateQueries } from "./State/StateQueries.js"
import { UsageCommands } from "./Usage/UsageCommands.js"
import { UsageHttp } from "./Usage/UsageHttp.js"
import { GateCommands } from "./Gates/GateCommands.js"
import { GateQueries } from "./Gates/GateQueries.js"
import { GatesHttp } from "./Gates/GatesHttp.js"
import { ChildCommands } from "./Children/ChildCommands.js"
import { ChildrenHttp } from "./Children/ChildrenHttp.js"
import { DispatcherLive } from "./Outbox/Dispatcher.js"
import { ReconcilerLive } from "./Reconciler/Reconciler.js"
import { GateTokens } from "./Gates/GateTokens.js"
import { QueueCommands } from "./Queues/QueueCommands.js"
import { PusherLive } from "./Queues/Pusher.js"
import { QueueHandlers } from "./Queues/QueueHandlers.js"
import { QueueQueries } from "./Queues/QueueQueries.js"
import { QueuesHttp } from "./Queues/QueuesHttp.js"
import { ScheduleCommands } from "./Schedules/ScheduleCommands.js"
import { ScheduleQueries } from "./Schedules/ScheduleQueries.js"
import { SchedulerLive } from "./Schedules/Scheduler.js"
import { SchedulesHttp } from "./Schedules/SchedulesHttp.js"
import { ForkCommands } from "./Replay/ForkCommands.js"
import { ReplayHttp } from "./Replay/ReplayHttp.js"
import { ReplayQueries } from "./Replay/ReplayQueries.js"
import { GlobalFeed } from "./Events/GlobalFeed.js"

/**
 * find-my-way refuses a path parameter longer than 100 characters as a route miss, below the
 * 200 a run id may have: past the schema's own limit, so that a too-long id is a 400 naming it.
 */
const MAX_PATH_PARAM_LENGTH = 1_000

const ApiLive = HttpApiBuilder.api(TidebaseApi).pipe(
  Layer.provide([HealthHttp, RunsHttp, StepsHttp, StateHttp, UsageHttp, GatesHttp, ChildrenHttp, QueuesHttp, SchedulesHttp, EventsHttp, ReplayHttp])
)

/** The command path: one cache, one loader and one event store shared by every feature's commands. */
const CommandsLive = Layer.mergeAll(
  RunCommands.DefaultWithoutDependencies,
  StepCommands.DefaultWithoutDependencies,
  ResolveStepCommand.DefaultWithoutDependencies,
  StateCommands.DefaultWithoutDependencies,
  UsageCommands.DefaultWithoutDependencies,
  GateCommands.DefaultWithoutDependencies,
  ChildCommands.DefaultWithoutDependencies,
  QueueCommands.DefaultWithoutDependencies,
  ScheduleCommands.DefaultWithoutDependencies,
  ForkCommands.DefaultWithoutDependencies,
  ReplayQueries.Default,
  GlobalFeed.Default
).pipe(
  Layer.provideMerge(GateTokens.Default),
  Layer.provideMerge(RunCommandRunner.DefaultWithoutDependencies),
  Layer.provideMerge(Layer.mergeAll(RunLoader.Default, RunCache.Default, EventStore.Default)),
  Layer.provideMerge(LiveEvents.Default),
  Layer.provide(AggregatesLive)
)

/** The fibers that act on time and on the outbox: the reconciler, the scheduler, and (unless turned off) push dispatch and the dispatcher. */
const BackgroundLive = (config: ServerConfig, queueBackoff: Backoff) => {
  const timed = Layer.merge(ReconcilerLive(config.reconcileMs, queueBackoff), SchedulerLive(config.reconcileMs))
  return config.dispatch
    ? Layer.merge(
      Layer.merge(timed, PusherLive(config.reconcileMs, config.runLeaseMs)),
      DispatcherLive({
        secret: Option.map(config.webhookSecret, Redacted.value),
        publicUrl: Option.getOrElse(config.publicUrl, () => `http://${config.host}:${config.port}`).replace(/\/+$/, ""),
        timeoutMs: config.webhookTimeoutMs,
        retryMs: config.webhookRetryMs,
        maxTries: config.webhookMaxTries,
        denyPrivate: config.webhookDenyPrivate
      })
    )
    : timed
}

/** Node's server, with the checkpoint routes in front of the platform's handler unless turned off. */
const NodeServerLive = (config: ServerConfig) =>
  Layer.unwrapEffect(
    Effect.map(
      config.leanRoutes
        ? hotRoutes({ apiKey: apiKeyValue(config), accessLog: config.accessLog ? config.logFormat : undefined })
        : Effect.succeed(undefined),
      (lean) => NodeHttpServer.layer(() => createHttpServer(lean), { port: config.port, host: config.host })
    )
  )

/**
 * The HTTP server over a database that is already migrated, with its background fibers (the
 * reconciler, the dispatcher): needs a `SqlClient`/`PgClient` and a `PgPool`, provides the listening
 * `HttpServer` (its address tells tests which port it got).
 */
export const HttpServerLive = (config: ServerConfig) => {
  const queueBackoff = { ...QUEUE_BACKOFF, baseMs: config.queueBackoffMs }
  const settings = Layer.succeed(ServerSettings, { runLeaseMs: config.runLeaseMs, stepLeaseMs: config.stepLeaseMs, queueBackoff })
  return HttpApiBuilder.serve((app) => config.accessLog ? accessLog(config.logFormat)(HttpMiddleware.cors()(app)) : HttpMiddleware.cors()(app)).pipe(
    // Listening comes after everything else is built: a connection accepted is one that can be served.
    Layer.provideMerge(NodeServerLive(config)),
    Layer.provide(WireFailuresMiddleware),
    // The contract, served: the OpenAPI document and an API reference page built from it.
    Layer.provide([HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }), HttpApiScalar.layer({ path: "/docs" })]),
    Layer.provide(ApiLive),
    Layer.provide(Layer.mergeAll(StepHandlers.Default, RunHandlers.Default, QueueHandlers.Default).pipe(Layer.provide([CommandsLive, settings]))),
    Layer.provide([
      AuthorizationLive(apiKeyValue(config)),
      CommandsLive,
      RunQueries.Default,
      StepQueries.Default,
      StateQueries.Default,
      GateQueries.Default,
      QueueQueries.Default,
      ScheduleQueries.Default,
      settings
    ]),
    Layer.provide(HttpRouter.setRouterConfig({ maxParamLength: MAX_PATH_PARAM_LENGTH })),
    // No span exporter is wired up, and building spans (and parsing each request's URL for
    // them) costs a measurable share of a checkpoint's CPU.
    HttpMiddleware.withTracerDisabledWhen(() => true),
    Layer.merge(BackgroundLive(config, queueBackoff).pipe(Layer.provide(CommandsLive))),
    Layer.provide(Layer.setTracerEnabled(false))
  )
}
