import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { Effect } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { jsonText } from "../Http/JsonText.js"
import { RunQueries } from "../Runs/RunQueries.js"
import { StepHandlers } from "./StepHandlers.js"
import { StepQueries } from "./StepQueries.js"
import { ResolveStepCommand } from "./ResolveStep.js"

const DEFAULT_PAGE = 100

export const StepsHttp = HttpApiBuilder.group(Api.TidebaseApi, "steps", (handlers) =>
  Effect.gen(function*() {
    const stepHandlers = yield* StepHandlers
    const steps = yield* StepQueries
    const runs = yield* RunQueries
    const resolver = yield* ResolveStepCommand

    return handlers
      .handle("list", ({ path, urlParams }) =>
        Effect.gen(function*() {
          if (!(yield* runs.exists(path.runId))) {
            return yield* Api.RunNotFound.of(path.runId)
          }
          return jsonText(yield* steps.page(path.runId, urlParams.after ?? 0, urlParams.limit ?? DEFAULT_PAGE))
        })
      )
      .handle("begin", stepHandlers.begin)
      .handle("checkpoint", stepHandlers.checkpoint)
      .handle("complete", stepHandlers.complete)
      .handle("fail", stepHandlers.fail)
      .handle("resolve", ({ path, payload }) =>
        resolver.resolve({
          runId: path.runId,
          stepId: path.stepId,
          action: payload.action,
          output: payload.output ?? null,
          actor: payload.actor,
          reason: payload.reason ?? null
        }).pipe(wireErrors)
      )
  })
)
