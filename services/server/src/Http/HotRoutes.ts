import { QueuesGroup, RunsGroup, StepsGroup } from "@tidebase/api"
import { Effect, Option } from "effect"
import { QueueHandlers } from "../Queues/QueueHandlers.js"
import { RunHandlers } from "../Runs/RunHandlers.js"
import { StepHandlers } from "../Steps/StepHandlers.js"
import { accessLine } from "./AccessLog.js"
import { keyMatches } from "./Authorization.js"
import { leanRoute, leanRouter } from "./LeanRoutes.js"
import type { LeanRoute } from "./LeanRoutes.js"
import type { LogFormat } from "./Logging.js"

export interface HotRoutesOptions {
  readonly apiKey: Option.Option<string>
  readonly accessLog: LogFormat | undefined
}

const steps = StepsGroup.endpoints
const runs = RunsGroup.endpoints

/** The requests every step, every run (and every queued job) makes, served by the lean router with the handlers their groups use. */
export const hotRoutes = (options: HotRoutesOptions) =>
  Effect.gen(function*() {
    const handlers = yield* StepHandlers
    const queueHandlers = yield* QueueHandlers
    const runHandlers = yield* RunHandlers
    const routes: ReadonlyArray<LeanRoute> = [
      leanRoute(runs.begin, runHandlers.begin),
      leanRoute(runs.heartbeat, runHandlers.heartbeat),
      leanRoute(runs.release, runHandlers.release),
      leanRoute(runs.complete, runHandlers.complete),
      leanRoute(runs.fail, runHandlers.fail),
      leanRoute(steps.checkpoint, handlers.checkpoint),
      leanRoute(steps.begin, handlers.begin),
      leanRoute(steps.complete, handlers.complete),
      leanRoute(steps.fail, handlers.fail),
      leanRoute(QueuesGroup.endpoints.enqueue, queueHandlers.enqueue)
    ]
    return leanRouter({
      routes,
      authorized: keyMatches(options.apiKey),
      accessLine: options.accessLog === undefined ? undefined : accessLine(options.accessLog),
      runtime: yield* Effect.runtime<never>()
    })
  })
