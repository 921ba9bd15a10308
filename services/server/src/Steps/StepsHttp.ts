import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newLeaseOwner, newStepId } from "@tidebase/domain"
import type { StepState } from "@tidebase/domain"
import { Effect } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { jsonText } from "../Http/JsonText.js"
import { RunQueries } from "../Runs/RunQueries.js"
import { ServerSettings } from "../ServerSettings.js"
import { StepCommands } from "./StepCommands.js"
import { StepQueries } from "./StepQueries.js"
import { ResolveStepCommand } from "./ResolveStep.js"

const DEFAULT_PAGE = 100

/** The answers that show an existing step rather than a new lease: the same for begin and checkpoint. */
const existingStepReply = <O extends { readonly action: string }>(outcome: O, inputHash: string) => {
  const o = outcome as { readonly action: string; readonly step?: StepState }
  if (o.action === "return") return { action: "return" as const, step: o.step!, output: o.step!.output }
  if (o.action === "input_mismatch") {
    return { action: "input_mismatch" as const, step: o.step!, expectedInputHash: o.step!.inputHash, actualInputHash: inputHash }
  }
  return outcome
}

export const StepsHttp = HttpApiBuilder.group(Api.TidebaseApi, "steps", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* StepCommands
    const steps = yield* StepQueries
    const runs = yield* RunQueries
    const settings = yield* ServerSettings
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
      .handle("begin", ({ path, payload }) =>
        commands.begin({
          runId: path.runId,
          name: payload.name,
          inputHash: payload.inputHash,
          input: payload.input ?? null,
          options: payload.options ?? {},
          fence: payload.leaseOwner === undefined ? undefined : { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          generatedOwner: newLeaseOwner(),
          newStepId: newStepId(),
          leaseMs: payload.leaseMs ?? settings.stepLeaseMs
        }).pipe(
          Effect.map((outcome) => existingStepReply(outcome, payload.inputHash) as Api.StepBeginResult),
          wireErrors
        )
      )
      .handle("checkpoint", ({ path, payload }) =>
        commands.record({
          runId: path.runId,
          name: payload.name,
          inputHash: payload.inputHash,
          input: payload.input ?? null,
          options: payload.options ?? {},
          output: payload.output ?? null,
          fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          newStepId: newStepId()
        }).pipe(
          Effect.map((outcome) => existingStepReply(outcome, payload.inputHash) as Api.StepCheckpointResult),
          wireErrors
        )
      )
      .handle("complete", ({ path, payload }) =>
        commands.complete({
          runId: path.runId,
          stepId: path.stepId,
          fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          output: payload.output ?? null
        }).pipe(Effect.map((step) => ({ step })), wireErrors)
      )
      .handle("fail", ({ path, payload }) =>
        commands.fail({
          runId: path.runId,
          stepId: path.stepId,
          fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          error: payload.error ?? null,
          retryable: payload.retryable ?? false,
          resumeDecision: payload.resumeDecision
        }).pipe(Effect.map((step) => ({ step })), wireErrors)
      )
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
