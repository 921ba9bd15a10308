import * as Domain from "@tidebase/domain"
import { Effect, Either } from "effect"
import { EventStore } from "../EventStore/EventStore.js"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"
import type { Decision } from "../Runs/RunCommandRunner.js"
import { RunKind } from "../Runs/RunKind.js"

export interface Fork extends Omit<Domain.ForkCommand, "now"> {
  readonly sourceRunId: string
}

/**
 * A fork is a new run stream written in one append, expected version 0: its `run.created`, the
 * copied prefix and `run.forked`. The source's log is only read, so forking a running run is safe;
 * the prefix is what had been appended when the fork read it.
 */
export class ForkCommands extends Effect.Service<ForkCommands>()("Tidebase/ForkCommands", {
  effect: Effect.gen(function*() {
    const store = yield* EventStore
    const { execute } = yield* RunCommandRunner

    const fork = (cmd: Fork) =>
      Effect.gen(function*() {
        const stored = yield* store.readStream("run", cmd.sourceRunId)
        if (stored.length === 0) return yield* Effect.fail(new Domain.RunNotFound({ runId: cmd.sourceRunId }))
        const source = stored.map((e) => RunKind.fromStored(e.type, e.payload))
        return yield* execute(cmd.runId, {}, (existing, now): Either.Either<
          Decision<{ readonly aggregate: Domain.RunAggregate; readonly forkedAtSeq: number }>,
          Domain.ChildRunIdTaken | Domain.ForkRefused
        > => {
          if (existing?.run !== undefined) return Either.left(new Domain.ChildRunIdTaken({ runId: cmd.runId }))
          return Either.map(Domain.forkEvents(source, { ...cmd, now: new Date(now) }), (events) => {
            const forked = events[events.length - 1] as Domain.RunForked
            return decided(events, (after) => ({ aggregate: after, forkedAtSeq: forked.atSeq }))
          })
        })
      })

    return { fork } as const
  }),
  dependencies: [RunCommandRunner.Default]
}) {}
