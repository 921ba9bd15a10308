import { expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer } from "effect"
import type { AggregateKind } from "../src/EventStore/Aggregate.js"
import { isLostRace } from "../src/EventStore/Conflicts.js"
import { EventStore } from "../src/EventStore/EventStore.js"
import { Aggregates, registered } from "../src/EventStore/Registry.js"
import { LiveEvents } from "../src/Events/LiveEvents.js"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { SqlError } from "@effect/sql/SqlError"

/** A stream kind of the test's own: a counter whose events carry the value they add. */
interface Added {
  readonly by: number
}
const counter = (category: string): AggregateKind<number, Added> => ({
  category,
  empty: 0,
  evolve: (n, e) => n + e.by,
  toStored: (e) => ({ type: "counter.added", payload: e }),
  fromStored: (_type, payload) => payload as Added,
  occurredAt: () => new Date().toISOString()
})
const Queue = counter("queue")
const Schedule = counter("schedule")

const change = (kind: AggregateKind<number, Added>, streamId: string, expectedVersion: number, by = 1) => ({
  kind,
  streamId,
  expectedVersion,
  events: [{ by }],
  before: expectedVersion,
  after: expectedVersion + by
})

const ScratchStore = onScratchDatabase(() =>
  EventStore.Default.pipe(
    Layer.provide(LiveEvents.Default),
    Layer.provide(Layer.succeed(Aggregates, [registered(Queue, []), registered(Schedule, [])]))
  )
)

layer(ScratchStore, { excludeTestServices: true })("the event store", (it) => {
  it.effect("streams of different categories with the same id are different streams", () =>
    Effect.gen(function*() {
      const store = yield* EventStore
      yield* store.append([change(Queue, "same-id", 0)])
      yield* store.append([change(Schedule, "same-id", 0)])
      expect(yield* store.readStream("queue", "same-id")).toHaveLength(1)
      expect(yield* store.readStream("schedule", "same-id")).toHaveLength(1)
      expect(yield* store.readStream("run", "same-id")).toHaveLength(0)
    }))

  it.effect("a multi-stream append is all-or-nothing under a concurrent writer on either stream", () =>
    Effect.gen(function*() {
      const store = yield* EventStore
      const rounds = Array.from({ length: 20 }, (_, i) => i)
      yield* Effect.forEach(rounds, (i) =>
        Effect.gen(function*() {
          const [a, b] = [`pair-${i}-a`, `pair-${i}-b`]
          // Both writers expect version 0 of one shared stream: exactly one of them can win it.
          const shared = i % 2 === 0 ? a : b
          const [both, single] = yield* Effect.all([
            Effect.either(store.append([change(Queue, a, 0), change(Schedule, b, 0)])),
            Effect.either(store.append([change(shared === a ? Queue : Schedule, shared, 0, 10)]))
          ], { concurrency: 2 })
          expect(Either.isRight(both) !== Either.isRight(single)).toBe(true)
          const [eventsA, eventsB] = [yield* store.readStream("queue", a), yield* store.readStream("schedule", b)]
          if (Either.isRight(both)) {
            expect([eventsA.length, eventsB.length]).toEqual([1, 1])
          } else {
            // The loser wrote nothing at all, on the stream it lost or on the other one.
            expect(Either.getLeft(both).pipe((e) => e._tag === "Some" && e.value._tag)).toBe("VersionConflict")
            expect((shared === a ? eventsA : eventsB).map((e) => (e.payload as Added).by)).toEqual([10])
            expect((shared === a ? eventsB : eventsA)).toHaveLength(0)
          }
        }), { concurrency: 4 })
      const sql = yield* SqlClient.SqlClient
      const heads = yield* sql<{ bad: number }>`
        select count(*)::int as bad from event_streams h
        where h.version <> (select max(seq) from events e where e.category = h.category and e.stream_id = h.stream_id)`
      expect(heads[0]!.bad).toBe(0)
    }))

  it.effect("a unique violation on a key no race can hit is an error with its cause, never a retried conflict", () =>
    Effect.gen(function*() {
      const store = yield* EventStore
      const sql = yield* SqlClient.SqlClient
      yield* sql`create unique index events_test_one_payload on events ((payload->>'by')) where category = 'queue' and stream_id like 'unique-%'`
      yield* store.append([change(Queue, "unique-1", 0, 7)])
      const exit = yield* Effect.exit(store.append([change(Queue, "unique-2", 0, 7)]))
      expect(exit._tag).toBe("Failure")
      const defect = exit._tag === "Failure" && exit.cause._tag === "Die" ? exit.cause.defect : undefined
      expect(defect).toBeInstanceOf(SqlError)
      expect(((defect as SqlError).cause as { constraint?: string }).constraint).toBe("events_test_one_payload")
      expect(yield* store.readStream("queue", "unique-2")).toHaveLength(0)
    }))
})

it("only the listed race constraints and deadlocks count as a lost race", () => {
  const error = (code: string, constraint?: string) => new SqlError({ cause: { code, constraint }, message: "x" })
  expect(isLostRace(error("23505", "events_stream_seq"))).toBe(true)
  expect(isLostRace(error("40P01"))).toBe(true)
  expect(isLostRace(error("23505", "some_other_key"))).toBe(false)
  expect(isLostRace(error("23505"))).toBe(false)
  expect(isLostRace(error("23503", "some_foreign_key"))).toBe(false)
})
