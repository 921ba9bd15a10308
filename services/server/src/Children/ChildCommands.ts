import * as Domain from "@tidebase/domain"
import { Effect, Either } from "effect"
import { RunCommandRunner } from "../Runs/RunCommandRunner.js"
import { RunLoader } from "../Runs/RunLoad.js"

type Input<C> = Omit<C, "now">

/**
 * Making a child run: the parent (with the edge of that name) and the child's stream are decided
 * on together, and the child's `run.created` and the parent's `run.child.created` land in one
 * append. Racing creates of one edge lose on the parent's expected version and, deciding again,
 * find the edge: one child, whatever the number of callers.
 */
export class ChildCommands extends Effect.Service<ChildCommands>()("Tidebase/ChildCommands", {
  effect: Effect.gen(function*() {
    const { executePair } = yield* RunCommandRunner
    const loader = yield* RunLoader

    const create = (cmd: Input<Domain.CreateChild>) =>
      executePair(
        { runId: cmd.parentRunId, needs: { edge: cmd.name } },
        { runId: cmd.childRunId, needs: {} },
        (parent, child, now) =>
          Either.map(Domain.decideCreateChild(parent ?? Domain.emptyAggregate, child, { ...cmd, now }), (outcome) => ({
            first: outcome.created ? outcome.parent : [],
            second: outcome.created ? outcome.child : [],
            reply: (_parent: Domain.RunAggregate, made: Domain.RunAggregate) => ({ outcome, made: outcome.created ? made : undefined })
          }))
      ).pipe(
        // The child of an existing edge is read whole: the answer shows the run as it is now.
        Effect.flatMap(({ made, outcome }) =>
          made !== undefined
            ? Effect.succeed({ run: made.run!, seq: made.version, edge: outcome.edge, created: true })
            : Effect.map(loader.load(outcome.edge.childRunId, { fullRun: true }), (loaded) => ({
              run: loaded!.aggregate.run!,
              seq: loaded!.aggregate.version,
              edge: outcome.edge,
              created: false
            })))
      )

    return { create } as const
  }),
  dependencies: [RunCommandRunner.Default, RunLoader.Default]
}) {}
