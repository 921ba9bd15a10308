import * as Domain from "@tidebase/domain"
import { Effect, Either } from "effect"
import type { Decision } from "../Runs/RunCommandRunner.js"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"

type Input<C> = Omit<C, "now">

type BeginStepReply =
  | Exclude<Domain.StepBeginOutcome, { readonly action: "execute" }>
  | { readonly action: "execute"; readonly step: Domain.StepState; readonly leaseOwner: string }

type RecordStepReply =
  | Exclude<Domain.StepRecordOutcome, { readonly action: "recorded" }>
  | { readonly action: "recorded"; readonly step: Domain.StepState }

/** Step commands: the hot path. Each decides on the run's head and the one step it names. */
export class StepCommands extends Effect.Service<StepCommands>()("Tidebase/StepCommands", {
  effect: Effect.gen(function*() {
    const { existing } = yield* RunCommandRunner

    const begin = (cmd: Input<Domain.BeginStep>) =>
      existing(cmd.runId, { step: { name: cmd.name } }, (state, now) =>
        Either.map(Domain.decideBeginStep(state, { ...cmd, now }), (outcome): Decision<BeginStepReply> =>
          outcome.action === "execute"
            ? decided(outcome.events, (after) => ({ action: "execute", step: after.steps.get(cmd.name)!, leaseOwner: outcome.leaseOwner }))
            : decided([], () => outcome)))

    const record = (cmd: Input<Domain.RecordStep>) =>
      existing(cmd.runId, { step: { name: cmd.name } }, (state, now) =>
        Either.map(Domain.decideRecordStep(state, { ...cmd, now }), (outcome): Decision<RecordStepReply> =>
          outcome.action === "recorded"
            ? decided(outcome.events, (after) => ({ action: "recorded", step: after.steps.get(cmd.name)! }))
            : decided([], () => outcome)))

    const complete = (cmd: Input<Domain.CompleteStep>) =>
      existing(cmd.runId, { step: { id: cmd.stepId } }, (state, now) =>
        Either.map(Domain.decideCompleteStep(state, { ...cmd, now }), (events) =>
          decided(events, (after) => Domain.findStep(after, cmd.stepId)!)))

    const fail = (cmd: Input<Domain.FailStep>) =>
      existing(cmd.runId, { step: { id: cmd.stepId } }, (state, now) =>
        Either.map(Domain.decideFailStep(state, { ...cmd, now }), (events) =>
          decided(events, (after) => Domain.findStep(after, cmd.stepId)!)))

    return { begin, record, complete, fail } as const
  }),
  dependencies: [RunCommandRunner.Default]
}) {}
