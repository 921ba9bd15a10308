import type * as Api from "@tidebase/api"
import { newLeaseOwner, newStepId } from "@tidebase/domain"
import type { RunState, StepState } from "@tidebase/domain"
import { Effect } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { ServerSettings } from "../ServerSettings.js"
import { StepCommands } from "./StepCommands.js"

type RunPath = typeof Api.Payloads.RunPath.Type
type StepPath = typeof Api.Payloads.StepPath.Type

/** The answers that show an existing step rather than a new lease: the same for begin and checkpoint. */
const existingStepReply = <O extends { readonly action: string }>(outcome: O, inputHash: string) => {
  const o = outcome as { readonly action: string; readonly step?: StepState; readonly run?: RunState }
  if (o.action === "cancelled") return { action: "cancelled" as const, reason: o.run!.cancelReason, actor: o.run!.cancelActor }
  if (o.action === "return") return { action: "return" as const, step: o.step!, output: o.step!.output }
  if (o.action === "input_mismatch") {
    return { action: "input_mismatch" as const, step: o.step!, expectedInputHash: o.step!.inputHash, actualInputHash: inputHash }
  }
  return outcome
}

/**
 * The checkpoint path's handlers, from decoded path and payload to the answer or a wire error:
 * shared by the `HttpApi` group and the lean routes that serve the same requests without it.
 */
export class StepHandlers extends Effect.Service<StepHandlers>()("Tidebase/StepHandlers", {
  effect: Effect.gen(function*() {
    const commands = yield* StepCommands
    const settings = yield* ServerSettings

    const begin = ({ path, payload }: { readonly path: RunPath; readonly payload: typeof Api.Payloads.BeginStepPayload.Type }) =>
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

    const checkpoint = ({ path, payload }: { readonly path: RunPath; readonly payload: typeof Api.Payloads.CheckpointStepPayload.Type }) =>
      commands.record({
        runId: path.runId,
        name: payload.name,
        inputHash: payload.inputHash,
        input: payload.input ?? null,
        options: payload.options ?? {},
        output: payload.output ?? null,
        fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
        newStepId: newStepId(),
        durationMs: payload.durationMs
      }).pipe(
        Effect.map((outcome) => existingStepReply(outcome, payload.inputHash) as Api.StepCheckpointResult),
        wireErrors
      )

    const complete = ({ path, payload }: { readonly path: StepPath; readonly payload: typeof Api.Payloads.CompleteStepPayload.Type }) =>
      commands.complete({
        runId: path.runId,
        stepId: path.stepId,
        fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
        output: payload.output ?? null
      }).pipe(Effect.map((step) => ({ step })), wireErrors)

    const fail = ({ path, payload }: { readonly path: StepPath; readonly payload: typeof Api.Payloads.FailStepPayload.Type }) =>
      commands.fail({
        runId: path.runId,
        stepId: path.stepId,
        fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
        error: payload.error ?? null,
        retryable: payload.retryable ?? false,
        resumeDecision: payload.resumeDecision
      }).pipe(Effect.map((step) => ({ step })), wireErrors)

    return { begin, checkpoint, complete, fail } as const
  })
}) {}
