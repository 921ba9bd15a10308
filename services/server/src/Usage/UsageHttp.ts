import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newUsageId } from "@tidebase/domain"
import { Effect } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { UsageCommands } from "./UsageCommands.js"

export const UsageHttp = HttpApiBuilder.group(Api.TidebaseApi, "usage", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* UsageCommands

    return handlers.handle("record", ({ path, payload }) =>
      commands.record({
        runId: path.runId,
        newUsageId: newUsageId(),
        usage: {
          kind: payload.kind,
          stepId: payload.stepId ?? null,
          provider: payload.provider ?? null,
          model: payload.model ?? null,
          label: payload.label ?? null,
          quantity: payload.quantity ?? null,
          unit: payload.unit ?? null,
          inputTokens: payload.inputTokens ?? null,
          outputTokens: payload.outputTokens ?? null,
          totalTokens: payload.totalTokens ?? null,
          costUsd: payload.costUsd ?? null,
          metadata: payload.metadata ?? {},
          idempotencyKey: payload.idempotencyKey ?? null
        }
      }).pipe(wireErrors))
  })
)
