import * as Domain from "@tidebase/domain"
import { Effect, Either } from "effect"
import type { Decision } from "../Runs/RunCommandRunner.js"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"

type Input<C> = Omit<C, "now">

type Locked = { readonly action: "locked"; readonly step: Domain.StepState }
type Stopped = { readonly action: "budget_exceeded"; readonly run: Domain.RunState }

type BeginStepReply =
  | Exclude<Domain.StepBeginOutcome, { readonly action: "execute" | "parked" | "budget_exceeded" }>
  | Locked
  | Stopped
  | { readonly action: "execute"; readonly step: Domain.StepState; readonly leaseOwner: string }

type RecordStepReply =
  | Exclude<Domain.StepRecordOutcome, { readonly action: "recorded" | "parked" | "budget_exceeded" }>
  | Locked
  | Stopped
  | { readonly action: "recorded"; readonly step: Domain.StepState }

/** A parked step is answered like any step the caller may not run: `locked`, showing why. */
const parked = (name: string, events: ReadonlyArray<Domain.RunEvent>): Decision<Locked> =>
  decided(events, (after) => ({ action: "locked", step: after.steps.get(name)! }))

/** An over-budget run is stopped by the decision's events; the caller is then refused with it. */
const stopped = (events: ReadonlyArray<Domain.RunEvent>): Decision<Stopped> =>
  decided(events, (after) => ({ action: "budget_exceeded", run: after.run! }))

const refuseStopped = <A extends { readonly action: string }>(reply: A | Stopped) =>
  reply.action === "budget_exceeded"
    ? Effect.fail(new Domain.BudgetExceeded({ run: (reply as Stopped).run }))
    : Effect.succeed(reply as Exclude<A, Stopped>)

/** Step commands: the hot path. Each decides on the run's head and the one step it names. */
export class StepCommands extends Effect.Service<StepCommands>()("Tidebase/StepCommands", {
  effect: Effect.gen(function*() {
    const { existing } = yield* RunCommandRunner

    const begin = (cmd: Input<Domain.BeginStep>) =>
      existing(cmd.runId, { step: { name: cmd.name } }, (state, now) =>
        Either.map(Domain.decideBeginStep(state, { ...cmd, now }), (outcome): Decision<BeginStepReply> =>
          outcome.action === "execute"
            ? decided(outcome.events, (after) => ({ action: "execute", step: after.steps.get(cmd.name)!, leaseOwner: outcome.leaseOwner }))
            : outcome.action === "parked"
            ? parked(cmd.name, outcome.events)
            : outcome.action === "budget_exceeded"
            ? stopped(outcome.events)
            : decided([], () => outcome))).pipe(Effect.flatMap(refuseStopped))

    const record = (cmd: Input<Domain.RecordStep>) =>
      existing(cmd.runId, { step: { name: cmd.name } }, (state, now) =>
        Either.map(Domain.decideRecordStep(state, { ...cmd, now }), (outcome): Decision<RecordStepReply> =>
          outcome.action === "recorded"
            ? decided(outcome.events, (after) => ({ action: "recorded", step: after.steps.get(cmd.name)! }))
            : outcome.action === "parked"
            ? parked(cmd.name, outcome.events)
            : outcome.action === "budget_exceeded"
            ? stopped(outcome.events)
            : decided([], () => outcome))).pipe(Effect.flatMap(refuseStopped))

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
