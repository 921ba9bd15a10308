import * as Domain from "@tidebase/domain"
import { Effect, Either } from "effect"
import { wireRunFromState } from "../Runs/Rows.js"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"

/**
 * A person's decision on a parked step. Racing resolves of one step are settled by the
 * expected-version append: the loser decides again, finds the step resolved, and is refused.
 * The reply carries the whole run, so it is read with its blobs (a human action, not the hot path).
 */
export class ResolveStepCommand extends Effect.Service<ResolveStepCommand>()("Tidebase/ResolveStepCommand", {
  effect: Effect.gen(function*() {
    const { existing } = yield* RunCommandRunner

    const resolve = (cmd: Omit<Domain.ResolveStep, "now">) =>
      existing(cmd.runId, { step: { id: cmd.stepId }, fullRun: true }, (state, now) =>
        Either.map(Domain.decideResolveStep(state, { ...cmd, now }), (events) =>
          decided(events, (after) => ({ step: Domain.findStep(after, cmd.stepId)!, run: wireRunFromState(after.run!) }))))

    return { resolve } as const
  }),
  dependencies: [RunCommandRunner.Default]
}) {}
