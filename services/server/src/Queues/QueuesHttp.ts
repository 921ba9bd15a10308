import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newLeaseOwner, newRunId } from "@tidebase/domain"
import { Clock, Effect } from "effect"
import { wireRunFromState } from "../Runs/Rows.js"
import { ServerSettings } from "../ServerSettings.js"
import { QueueCommands } from "./QueueCommands.js"
import { QueueQueries } from "./QueueQueries.js"

export const QueuesHttp = HttpApiBuilder.group(Api.TidebaseApi, "queues", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* QueueCommands
    const queries = yield* QueueQueries
    const settings = yield* ServerSettings

    return handlers
      .handle("enqueue", ({ path, payload }) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          commands.enqueue({
            queue: path.queue,
            runId: payload.runId ?? newRunId(),
            workflowName: payload.workflowName,
            input: payload.input ?? {},
            metadata: payload.metadata ?? {},
            recoveryWebhook: payload.recoveryWebhook ?? null,
            channels: payload.channels ?? null,
            dedupeKey: payload.dedupeKey ?? null,
            // `runAt` wins over `delayMs` when both are given.
            runAt: payload.runAt != null ? payload.runAt.getTime() : payload.delayMs != null ? now + payload.delayMs : null,
            maxAttempts: payload.maxAttempts ?? null,
            priority: payload.priority ?? 0,
            deadlineMs: payload.deadlineMs ?? null
          })).pipe(Effect.map(({ deduplicated, run }) => ({ run: wireRunFromState(run), deduplicated }))))
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
