import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newLeaseOwner } from "@tidebase/domain"
import { Effect } from "effect"
import { wireRunFromState } from "../Runs/Rows.js"
import { ServerSettings } from "../ServerSettings.js"
import { QueueCommands } from "./QueueCommands.js"
import { QueueHandlers } from "./QueueHandlers.js"
import { QueueQueries } from "./QueueQueries.js"

export const QueuesHttp = HttpApiBuilder.group(Api.TidebaseApi, "queues", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* QueueCommands
    const queueHandlers = yield* QueueHandlers
    const queries = yield* QueueQueries
    const settings = yield* ServerSettings

    return handlers
      .handle("enqueue", queueHandlers.enqueue)
      .handle("claim", ({ payload }) => {
        const leaseOwner = payload.leaseOwner ?? newLeaseOwner()
        return Effect.map(
          commands.claim({
            queues: payload.queues,
            leaseOwner,
            leaseMs: payload.leaseMs ?? settings.runLeaseMs,
            limit: payload.limit ?? 1,
            waitMs: payload.waitMs ?? 0
          }),
          (runs) => ({ runs: runs.map(wireRunFromState), leaseOwner })
        )
      })
      .handle("list", () => Effect.map(queries.list, (queues) => ({ queues })))
      .handle("configure", ({ path, payload }) =>
        Effect.map(commands.configure({ name: path.queue, ...payload }), (config) => ({
          config: { name: config.name, concurrency: config.concurrency, ratePerMinute: config.ratePerMinute, invokeUrl: config.invokeUrl }
        })))
  })
)
