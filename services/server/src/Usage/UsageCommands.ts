import * as Domain from "@tidebase/domain"
import { Effect, Either } from "effect"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"

/**
 * A usage record decides on the run (its totals and budget) and, when it carries an idempotency
 * key, on the record the run already has under that key: two racing copies of one record append
 * once, because the loser decides again and finds the winner's.
 */
export class UsageCommands extends Effect.Service<UsageCommands>()("Tidebase/UsageCommands", {
  effect: Effect.gen(function*() {
    const { existing } = yield* RunCommandRunner

    const record = (cmd: Omit<Domain.RecordUsage, "now">) =>
      existing(cmd.runId, { usageKey: cmd.usage.idempotencyKey ?? undefined }, (state, now) =>
        Either.map(Domain.decideRecordUsage(state, { ...cmd, now }), ({ events, usage }) =>
          decided(events, (after) => ({
            usage,
            deduplicated: events.length === 0,
            budgetExceeded: Domain.isOverBudget(after.run!)
          }))))

    return { record } as const
  }),
  dependencies: [RunCommandRunner.Default]
}) {}
