import * as Domain from "@tidebase/domain"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import { Clock, Effect, Either, Schedule } from "effect"
import { EventStore, VersionConflict } from "../EventStore/EventStore.js"
import { RunStore } from "./RunStore.js"
import type { StepSelector } from "./RunStore.js"

type Input<C> = Omit<C, "now">

type BeginStepReply =
  | Exclude<Domain.StepBeginOutcome, { readonly action: "execute" }>
  | { readonly action: "execute"; readonly step: Domain.StepState; readonly leaseOwner: string }

type RecordStepReply =
  | Exclude<Domain.StepRecordOutcome, { readonly action: "recorded" }>
  | { readonly action: "recorded"; readonly step: Domain.StepState }

/** What a command decided: the events to append, and its reply given the state after them. */
interface Decision<A> {
  readonly events: ReadonlyArray<RunEvent>
  readonly reply: (after: RunAggregate) => A
}

const decided = <A>(events: ReadonlyArray<RunEvent>, reply: (after: RunAggregate) => A): Decision<A> => ({ events, reply })

/** Losing an append race means deciding again on fresh state; jitter spreads the retries. */
const CONFLICT_RETRIES = Schedule.exponential("1 millis", 1.5).pipe(
  Schedule.jittered,
  Schedule.union(Schedule.spaced("40 millis")),
  Schedule.intersect(Schedule.recurs(60))
)

/**
 * Every run mutation: load the aggregate (one read), fold the command through the pure
 * domain rules, append what they decided (one statement, expected-version). Two round trips
 * and no open transaction; a concurrent writer's win makes it decide again from scratch.
 */
export class RunCommands extends Effect.Service<RunCommands>()("Tidebase/RunCommands", {
  effect: Effect.gen(function*() {
    const store = yield* RunStore
    const events = yield* EventStore

    const execute = <A, E>(
      runId: string,
      step: StepSelector,
      decide: (state: RunAggregate | undefined, now: number) => Either.Either<Decision<A>, E>
    ): Effect.Effect<A, E> => {
      const attempt: Effect.Effect<A, E | VersionConflict> = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const state = yield* store.load(runId, step)
        const decision = yield* decide(state, now)
        const before = state ?? Domain.emptyAggregate
        const after = Domain.fold(decision.events, before)
        yield* events.append({ streamId: runId, events: decision.events, before, after })
        return decision.reply(after)
      })
      return attempt.pipe(
        Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: CONFLICT_RETRIES }),
        Effect.catchIf((e): e is VersionConflict => e instanceof VersionConflict, Effect.die)
      ) as Effect.Effect<A, E>
    }

    const existing = <A, E>(
      runId: string,
      step: StepSelector,
      decide: (state: RunAggregate, now: number) => Either.Either<Decision<A>, E>
    ): Effect.Effect<A, E | Domain.RunNotFound> =>
      execute(runId, step, (state, now): Either.Either<Decision<A>, E | Domain.RunNotFound> =>
        state?.run === undefined ? Either.left(new Domain.RunNotFound({ runId })) : decide(state, now))

    const create = (cmd: Input<Domain.CreateRun>) =>
      execute(cmd.runId, undefined, (state, now) => {
        const events = Domain.decideCreate(state ?? Domain.emptyAggregate, { ...cmd, now })
        return Either.right(decided(events, (after) => ({ run: after.run!, created: events.length > 0 })))
      })

    const begin = (cmd: Input<Domain.BeginRun>) =>
      existing(cmd.runId, undefined, (state, now) =>
        Either.map(Domain.decideBegin(state, { ...cmd, now }), (events) =>
          decided(events, (after) => ({ run: after.run!, leaseOwner: events.length > 0 ? cmd.leaseOwner : null }))))

    const heartbeat = (cmd: Input<Domain.Heartbeat>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const state = yield* store.load(cmd.runId, undefined)
        if (state?.run === undefined) return yield* Effect.fail(new Domain.RunNotFound({ runId: cmd.runId }))
        const leaseExpiresAt = yield* Domain.decideHeartbeat(state, { ...cmd, now })
        const run = state.run
        const renewed = yield* store.renewLease(run.id, cmd.fence.leaseOwner, run.attempt, leaseExpiresAt)
        if (!renewed) return yield* Effect.fail(new Domain.LeaseLost({ run }))
        return { ...run, leaseExpiresAt }
      })

    const complete = (cmd: Input<Domain.CompleteRun>) =>
      existing(cmd.runId, undefined, (state, now) =>
        Either.map(Domain.decideComplete(state, { ...cmd, now }), (events) => decided(events, (after) => after.run!)))

    const fail = (cmd: Input<Domain.FailRun>) =>
      existing(cmd.runId, undefined, (state, now) =>
        Either.map(Domain.decideFail(state, { ...cmd, now }), (events) => decided(events, (after) => after.run!)))

    const beginStep = (cmd: Input<Domain.BeginStep>) =>
      existing(cmd.runId, { name: cmd.name }, (state, now) =>
        Either.map(Domain.decideBeginStep(state, { ...cmd, now }), (outcome): Decision<BeginStepReply> =>
          outcome.action === "execute"
            ? decided(outcome.events, (after) => ({
              action: "execute" as const,
              step: after.steps.get(cmd.name)!,
              leaseOwner: outcome.leaseOwner
            }))
            : decided([], () => outcome)))

    const recordStep = (cmd: Input<Domain.RecordStep>) =>
      existing(cmd.runId, { name: cmd.name }, (state, now) =>
        Either.map(Domain.decideRecordStep(state, { ...cmd, now }), (outcome): Decision<RecordStepReply> =>
          outcome.action === "recorded"
            ? decided(outcome.events, (after) => ({ action: "recorded" as const, step: after.steps.get(cmd.name)! }))
            : decided([], () => outcome)))

    const completeStep = (cmd: Input<Domain.CompleteStep>) =>
      existing(cmd.runId, { id: cmd.stepId }, (state, now) =>
        Either.map(Domain.decideCompleteStep(state, { ...cmd, now }), (events) =>
          decided(events, (after) => Domain.findStep(after, cmd.stepId)!)))

    const failStep = (cmd: Input<Domain.FailStep>) =>
      existing(cmd.runId, { id: cmd.stepId }, (state, now) =>
        Either.map(Domain.decideFailStep(state, { ...cmd, now }), (events) =>
          decided(events, (after) => Domain.findStep(after, cmd.stepId)!)))

    return { create, begin, heartbeat, complete, fail, beginStep, recordStep, completeStep, failStep } as const
  }),
  dependencies: [RunStore.Default, EventStore.Default]
}) {}
