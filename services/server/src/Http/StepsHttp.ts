import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newLeaseOwner, newStepId } from "@tidebase/domain"
import { Effect } from "effect"
import { RunCommands } from "../Runs/RunCommands.js"
import { ServerSettings } from "../ServerSettings.js"
import { wireErrors } from "./DomainErrors.js"

export const StepsHttp = HttpApiBuilder.group(Api.TidebaseApi, "steps", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* RunCommands
    const settings = yield* ServerSettings

    return handlers
      .handle("begin", ({ path, payload }) =>
        commands.beginStep({
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
          Effect.map((outcome): Api.StepBeginResult => {
            switch (outcome.action) {
              case "return":
                return { action: "return", step: outcome.step, output: outcome.step.output }
              case "input_mismatch":
                return {
                  action: "input_mismatch",
                  step: outcome.step,
                  expectedInputHash: outcome.step.inputHash,
                  actualInputHash: payload.inputHash
                }
              default:
                return outcome
            }
          }),
          wireErrors
        )
      )
      .handle("checkpoint", ({ path, payload }) =>
        commands.recordStep({
          runId: path.runId,
          name: payload.name,
          inputHash: payload.inputHash,
          input: payload.input ?? null,
          options: payload.options ?? {},
          output: payload.output ?? null,
          fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          newStepId: newStepId()
        }).pipe(
          Effect.map((outcome): Api.StepCheckpointResult =>
            outcome.action === "return"
              ? { action: "return", step: outcome.step, output: outcome.step.output }
              : outcome.action === "input_mismatch"
              ? { action: "input_mismatch", step: outcome.step, expectedInputHash: outcome.step.inputHash, actualInputHash: payload.inputHash }
              : outcome
          ),
          wireErrors
        )
      )
      .handle("complete", ({ path, payload }) =>
        commands.completeStep({
          runId: path.runId,
          stepId: path.stepId,
          fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          output: payload.output ?? null
        }).pipe(Effect.map((step) => ({ step })), wireErrors)
      )
      .handle("fail", ({ path, payload }) =>
        commands.failStep({
          runId: path.runId,
          stepId: path.stepId,
          fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          error: payload.error ?? null,
          retryable: payload.retryable ?? false,
          resumeDecision: payload.resumeDecision
        }).pipe(Effect.map((step) => ({ step })), wireErrors)
      )
  })
)
