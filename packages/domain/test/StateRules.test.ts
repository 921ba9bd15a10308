import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import * as D from "../src/index.js"
import { apply, created, RUN_ID, T0 } from "./Fixtures.js"

let ids = 0
const write = (overrides: Partial<D.WriteState> = {}): D.WriteState => ({
  runId: RUN_ID,
  mode: "replace",
  value: null,
  fence: undefined,
  newVersionId: `sv_${++ids}`,
  newStreamId: `stream_${ids}`,
  now: T0,
  ...overrides
})

const head = (state: D.RunAggregate, stream = D.runStream(RUN_ID)) => state.stateStreams.get(stream)

describe("state rules", () => {
  it("PATCH merges shallowly and PUT replaces; each version holds the full value and the patch that made it", () => {
    let state = apply(created, D.decideWriteState(created, write({ value: { a: 1, nested: { x: 1 } } })))
    const patch = { nested: { y: 2 } }
    const events = Either.getOrThrow(D.decideWriteState(state, write({ mode: "merge", value: patch })))
    const updated = events[0] as D.StateUpdated
    expect(updated.stateVersion).toMatchObject({ version: 2, value: { a: 1, nested: { y: 2 } }, patch })
    expect(updated.patch).toEqual(patch)
    state = D.fold(events, state)
    state = apply(state, D.decideWriteState(state, write({ value: { b: 2 } })))
    expect(head(state)).toMatchObject({ currentVersion: 3, currentValue: { b: 2 }, targetType: "run", targetId: RUN_ID })
  })

  it("save labels the current value as a new milestone version without changing it; save with no state is StateNotFound", () => {
    const missing = D.decideSaveState(created, { runId: RUN_ID, label: "l", fence: undefined, newVersionId: "v", newStreamId: "s", now: T0 })
    expect(Either.isLeft(missing) && missing.left._tag).toBe("StateNotFound")
    const state = apply(created, D.decideWriteState(created, write({ value: { a: 1 } })))
    const saved = Either.getOrThrow(D.decideSaveState(state, { runId: RUN_ID, label: "first", fence: undefined, newVersionId: "v", newStreamId: "s", now: T0 }))
    expect((saved[0] as D.StateSaved).stateVersion).toMatchObject({ version: 2, value: { a: 1 }, label: "first", importance: "milestone", patch: null })
    expect(head(D.fold(saved, state))?.currentValue).toEqual({ a: 1 })
  })

  it("a snapshot is a labeled version in stream type:id, the run's own stream by default", () => {
    const base = { runId: RUN_ID, label: "s", value: { v: 1 }, fence: undefined, newVersionId: "v", newStreamId: "s", now: T0 }
    const targeted = Either.getOrThrow(D.decideSnapshot(created, { ...base, target: { type: "doc", id: "d1" } }))[0] as D.SnapshotCreated
    expect([targeted.stream, targeted.stateVersion.version]).toEqual(["doc:d1", 1])
    const state = D.fold([targeted], created)
    expect(head(state, "doc:d1")).toMatchObject({ targetType: "doc", targetId: "d1" })
    const own = Either.getOrThrow(D.decideSnapshot(state, base))[0] as D.SnapshotCreated
    expect(own.stream).toBe(D.runStream(RUN_ID))
  })

  it("a state write by a fenced-out owner is refused, a write with no owner is accepted", () => {
    const begun = apply(created, D.decideBegin(created, { runId: RUN_ID, leaseOwner: "a", leaseMs: 1000, now: T0 }))
    const taken = apply(begun, D.decideBegin(begun, { runId: RUN_ID, leaseOwner: "b", leaseMs: 1000, now: T0 + 2000 }))
    const stale = D.decideWriteState(taken, write({ fence: { leaseOwner: "a", leaseEpoch: 1 } }))
    expect(Either.isLeft(stale) && stale.left._tag).toBe("LeaseLost")
    expect(Either.isRight(D.decideWriteState(taken, write({ fence: { leaseOwner: "b", leaseEpoch: 2 } })))).toBe(true)
    expect(Either.isRight(D.decideWriteState(taken, write()))).toBe(true)
  })

  it("any sequence of PUT, PATCH and save yields versions 1, 2, 3 with no gap, and the head is the last version's value; folding to any seq gives the state then", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("put" as const), value: fc.dictionary(fc.constantFrom("a", "b", "c"), fc.integer()) }),
      fc.record({ kind: fc.constant("patch" as const), value: fc.dictionary(fc.constantFrom("a", "b", "c"), fc.integer()) }),
      fc.record({ kind: fc.constant("save" as const), value: fc.constant({}) })
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      let state = created
      const log: Array<D.RunEvent> = []
      for (const o of ops) {
        const decided = o.kind === "save"
          ? D.decideSaveState(state, { runId: RUN_ID, label: "l", fence: undefined, newVersionId: "v", newStreamId: "s", now: T0 })
          : D.decideWriteState(state, write({ mode: o.kind === "put" ? "replace" : "merge", value: o.value }))
        if (Either.isLeft(decided)) continue
        log.push(...decided.right)
        state = D.fold(decided.right, state)
      }
      const versions = log.map((e) => (e as D.StateUpdated).stateVersion)
      expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1))
      if (versions.length > 0) expect(head(state)?.currentValue).toEqual(versions[versions.length - 1]!.value)
      versions.forEach((v, i) => expect(head(D.fold(log.slice(0, i + 1), created))?.currentValue).toEqual(v.value))
    }))
  })
})
