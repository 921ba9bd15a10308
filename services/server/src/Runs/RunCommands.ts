import { SqlClient } from "@effect/sql"
import * as Domain from "@tidebase/domain"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import { Clock, Effect, Either } from "effect"
import { EventStore } from "../EventStore/EventStore.js"
import { RunStore } from "./RunStore.js"
import type { StepSelector } from "./RunStore.js"

type Now = { readonly now: number }
type Input<C> = Omit<C, "now">

/**
 * Every run mutation: lock the stream, fold the command through the pure domain rules,
 * append what they decided. One transaction per command.
 */
export class RunCommands extends Effect.Service<RunCommands>()("Tidebase/RunCommands", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const store = yield* RunStore
    const events = yield* EventStore

    const load = (runId: string, step: StepSelector) =>
      Effect.flatMap(store.lock(runId, step), (state) =>
        state === undefined ? Effect.fail(new Domain.RunNotFound({ runId })) : Effect.succeed(state))

    const commit = (runId: string, before: RunAggregate, decided: ReadonlyArray<RunEvent>) =>
      Effect.as(events.append({ streamId: runId, events: decided, before, after: Domain.fold(decided, before) }), Domain.fold(decided, before))

    /** Runs `body` inside one transaction with the current time; defects roll it back. */
    const transact = <A, E>(body: (now: number) => Effect.Effect<A, E, never>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => sql.withTransaction(body(now))).pipe(
        Effect.catchTag("SqlError", Effect.die)
      )

    const create = (cmd: Input<Domain.CreateRun>) =>
      transact((now) =>
        Effect.gen(function*() {
          const created = yield* events.ensureStream(cmd.runId)
          const before = yield* load(cmd.runId, undefined).pipe(Effect.orDie)
          const after = yield* commit(cmd.runId, before, Domain.decideCreate(before, { ...cmd, now }))
          return { run: after.run!, created }
        })
      )

    const begin = (cmd: Input<Domain.BeginRun>) =>
      transact((now) =>
        Effect.gen(function*() {
          const before = yield* load(cmd.runId, undefined)
          const decided = yield* Domain.decideBegin(before, { ...cmd, now })
          const after = yield* commit(cmd.runId, before, decided)
          return { run: after.run!, leaseOwner: decided.length > 0 ? cmd.leaseOwner : null }
        })
      )

    const heartbeat = (cmd: Input<Domain.Heartbeat>) =>
      transact((now) =>
        Effect.gen(function*() {
          const state = yield* load(cmd.runId, undefined)
          const leaseExpiresAt = yield* Domain.decideHeartbeat(state, { ...cmd, now })
          const run = state.run!
          yield* store.renewLease(run.id, run.attempt, leaseExpiresAt)
          return { ...run, leaseExpiresAt }
        })
      )

    const complete = (cmd: Input<Domain.CompleteRun>) =>
      transact((now) =>
        Effect.gen(function*() {
          const before = yield* load(cmd.runId, undefined)
          const after = yield* commit(cmd.runId, before, yield* Domain.decideComplete(before, { ...cmd, now }))
          return after.run!
        })
      )

    const fail = (cmd: Input<Domain.FailRun>) =>
      transact((now) =>
        Effect.gen(function*() {
          const before = yield* load(cmd.runId, undefined)
          const after = yield* commit(cmd.runId, before, yield* Domain.decideFail(before, { ...cmd, now }))
          return after.run!
        })
      )

    const beginStep = (cmd: Input<Domain.BeginStep>) =>
      transact((now) =>
        Effect.gen(function*() {
          const before = yield* load(cmd.runId, { name: cmd.name })
          const outcome = yield* Domain.decideBeginStep(before, { ...cmd, now })
          if (outcome.action !== "execute") return outcome
          const after = yield* commit(cmd.runId, before, outcome.events)
          return { action: "execute" as const, step: after.steps.get(cmd.name)!, leaseOwner: outcome.leaseOwner }
        })
      )

    const stepWrite = <C extends { readonly runId: string; readonly stepId: string }, E>(
      decide: (state: RunAggregate, cmd: C & Now) => Either.Either<ReadonlyArray<RunEvent>, E>
    ) =>
    (cmd: C) =>
      transact((now) =>
        Effect.gen(function*() {
          const before = yield* load(cmd.runId, { id: cmd.stepId })
          const after = yield* commit(cmd.runId, before, yield* decide(before, { ...cmd, now }))
          return Domain.findStep(after, cmd.stepId)!
        })
      )

    return {
      create,
      begin,
      heartbeat,
      complete,
      fail,
      beginStep,
      completeStep: stepWrite<Input<Domain.CompleteStep>, Domain.RunCancelled | Domain.StepNotFound | Domain.LeaseLost | Domain.RunNotFound>(Domain.decideCompleteStep),
      failStep: stepWrite<Input<Domain.FailStep>, Domain.RunCancelled | Domain.StepNotFound | Domain.LeaseLost | Domain.RunNotFound>(Domain.decideFailStep)
    } as const
  }),
  dependencies: [RunStore.Default, EventStore.Default]
}) {}
