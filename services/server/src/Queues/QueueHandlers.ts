import type * as Api from "@tidebase/api"
import { newRunId } from "@tidebase/domain"
import { Clock, Effect } from "effect"
import { wireRunFromState } from "../Runs/Rows.js"
import { QueueCommands } from "./QueueCommands.js"

type QueuePath = typeof Api.Payloads.QueuePath.Type

/** Enqueue's handler, shared by the `HttpApi` group and the lean route that serves it without it (an enqueue per job). */
export class QueueHandlers extends Effect.Service<QueueHandlers>()("Tidebase/QueueHandlers", {
  effect: Effect.gen(function*() {
    const commands = yield* QueueCommands

    const enqueue = ({ path, payload }: { readonly path: QueuePath; readonly payload: typeof Api.Payloads.EnqueuePayload.Type }) =>
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
        })).pipe(Effect.map(({ deduplicated, run }) => ({ run: wireRunFromState(run), deduplicated })))

    return { enqueue } as const
  })
}) {}
