import * as Domain from "@tidebase/domain"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import { Clock, Effect, Either, Schedule } from "effect"
import { fold } from "../EventStore/Aggregate.js"
import { EventStore, VersionConflict } from "../EventStore/EventStore.js"
import { RunCache } from "./RunCache.js"
import { RunKind } from "./RunKind.js"
import { RunLoader } from "./RunLoad.js"
import type { RunNeeds } from "./RunLoad.js"

/** What a command decided: the events to append, and its reply given the state after them. */
export interface Decision<A> {
  readonly events: ReadonlyArray<RunEvent>
  readonly reply: (after: RunAggregate) => A
}

/** What a command on two runs decided: the events of each, and its reply given both states after them. */
export interface PairDecision<A> {
  readonly first: ReadonlyArray<RunEvent>
  readonly second: ReadonlyArray<RunEvent>
  readonly reply: (first: RunAggregate, second: RunAggregate) => A
}

export const decided = <A>(events: ReadonlyArray<RunEvent>, reply: (after: RunAggregate) => A): Decision<A> => ({ events, reply })

export interface CommandNeeds extends RunNeeds {
  /** Read the run from the database even when cached (decisions on lease expiry). */
  readonly fresh?: boolean
}

/** A decision's events, and the channel deliveries they owe, appended together. */
export const withDeliveries = (before: RunAggregate, events: ReadonlyArray<RunEvent>, now: number): ReadonlyArray<RunEvent> => {
  if (events.length === 0) return events
  const owed = Domain.deliveriesFor(before, events, Domain.newDeliveryId, now)
  return owed.length === 0 ? events : [...events, ...owed]
}

/** Losing an append race means deciding again on fresh state; jitter spreads the retries. */
const CONFLICT_RETRIES = Schedule.exponential("1 millis", 1.5).pipe(
  Schedule.jittered,
  Schedule.union(Schedule.spaced("40 millis")),
  Schedule.intersect(Schedule.recurs(60))
)

/**
 * Every run mutation: take the aggregate (from the cache, else one read), fold the command
 * through the pure domain rules, append what they decided (one statement, expected version).
 * A hot run costs one round trip; a concurrent writer's win makes it decide again from a read.
 */
export class RunCommandRunner extends Effect.Service<RunCommandRunner>()("Tidebase/RunCommandRunner", {
  effect: Effect.gen(function*() {
    const loader = yield* RunLoader
    const cache = yield* RunCache
    const store = yield* EventStore

    const execute = <A, E>(
      runId: string,
      needs: CommandNeeds,
      decide: (state: RunAggregate | undefined, now: number) => Either.Either<Decision<A>, E>
    ): Effect.Effect<A, E> => {
      // The cache holds runs and their steps; a command deciding on a state head, a usage key or a gate reads them.
      let cacheable = needs.fresh !== true && needs.fullRun !== true && needs.stateStream === undefined &&
        needs.usageKey === undefined && needs.gate === undefined && needs.pendingGates !== true &&
        needs.recovery === undefined && needs.delivery === undefined
      const attempt: Effect.Effect<A, E | VersionConflict> = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const cached = cacheable ? cache.view(runId, needs.step) : undefined
        const loaded = cached === undefined ? yield* loader.load(runId, needs) : undefined
        const state = cached ?? loaded?.aggregate
        const decided = decide(state, now)
        // Only an append checks a cached view against the database (another replica may have written since):
        // a refusal or an answer without events is given from a fresh read.
        if (cached !== undefined && (Either.isLeft(decided) || decided.right.events.length === 0)) {
          cacheable = false
          return yield* attempt
        }
        const decision = yield* decided
        const before = state ?? Domain.emptyAggregate
        if (decision.events.length === 0) {
          if (loaded !== undefined) cache.remember(runId, before, before, loaded)
          return decision.reply(before)
        }
        const events = withDeliveries(before, decision.events, now)
        const after = fold(RunKind, events, before)
        yield* store.append([{ kind: RunKind, streamId: runId, expectedVersion: before.version, events, before, after }])
        cache.remember(runId, before, after, loaded ?? (state === undefined ? { hasSteps: false } : undefined))
        return decision.reply(after)
      })
      return attempt.pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            if (e instanceof VersionConflict) {
              cache.evict(runId)
              cacheable = false
            }
          })
        ),
        Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: CONFLICT_RETRIES }),
        Effect.catchIf((e): e is VersionConflict => e instanceof VersionConflict, Effect.die)
      ) as Effect.Effect<A, E>
    }

    /**
     * A command on two runs at once (a parent and the child it makes): both read fresh, the events
     * of each appended in ONE statement with each stream's expected version, so either both land or
     * neither does; a concurrent writer on either makes it decide again.
     */
    const executePair = <A, E>(
      first: { readonly runId: string; readonly needs: RunNeeds },
      second: { readonly runId: string; readonly needs: RunNeeds },
      decide: (a: RunAggregate | undefined, b: RunAggregate | undefined, now: number) => Either.Either<PairDecision<A>, E>
    ): Effect.Effect<A, E> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const [a, b] = yield* Effect.all([loader.load(first.runId, first.needs), loader.load(second.runId, second.needs)], {
          concurrency: 2
        })
        const decision = yield* decide(a?.aggregate, b?.aggregate, now)
        const beforeA = a?.aggregate ?? Domain.emptyAggregate
        const beforeB = b?.aggregate ?? Domain.emptyAggregate
        const eventsA = withDeliveries(beforeA, decision.first, now)
        const eventsB = withDeliveries(beforeB, decision.second, now)
        const afterA = fold(RunKind, eventsA, beforeA)
        const afterB = fold(RunKind, eventsB, beforeB)
        yield* store.append([
          { kind: RunKind, streamId: first.runId, expectedVersion: beforeA.version, events: eventsA, before: beforeA, after: afterA },
          { kind: RunKind, streamId: second.runId, expectedVersion: beforeB.version, events: eventsB, before: beforeB, after: afterB }
        ])
        if (decision.first.length > 0) cache.evict(first.runId)
        if (decision.second.length > 0) cache.evict(second.runId)
        return decision.reply(afterA, afterB)
      }).pipe(
        Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: CONFLICT_RETRIES }),
        Effect.catchIf((e): e is VersionConflict => e instanceof VersionConflict, Effect.die)
      ) as Effect.Effect<A, E>

    /** A command on a run that must exist. */
    const existing = <A, E>(
      runId: string,
      needs: CommandNeeds,
      decide: (state: RunAggregate, now: number) => Either.Either<Decision<A>, E>
    ): Effect.Effect<A, E | Domain.RunNotFound> =>
      execute(runId, needs, (state, now): Either.Either<Decision<A>, E | Domain.RunNotFound> =>
        state?.run === undefined ? Either.left(new Domain.RunNotFound({ runId })) : decide(state, now))

    return { execute, existing, executePair } as const
  }),
  dependencies: [RunLoader.Default, RunCache.Default]
}) {}
