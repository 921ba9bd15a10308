import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as D from "../src/index.js"

const T0 = Date.parse("2026-03-01T10:00:00.000Z")

const spec = (fields: Partial<ConstructorParameters<typeof D.ScheduleSpec>[0]> = {}) =>
  new D.ScheduleSpec({
    name: "digest",
    cron: "*/5 * * * *",
    timezone: "UTC",
    workflowName: "digest",
    input: {},
    queue: "default",
    maxAttempts: null,
    enabled: true,
    ...fields
  })

const setAt = (now: number, s = spec()) => {
  const events = D.decideSetSchedule(D.emptySchedule, { spec: s, now })
  return events.reduce(D.evolveSchedule, D.emptySchedule)
}

describe("schedules", () => {
  it("a schedule's first fire time is the first cron time after it is set", () => {
    expect(setAt(T0 + 1).nextRunAt).toBe("2026-03-01T10:05:00.000Z")
  })

  it("nothing is due before the next fire time; at it, that fire time is due and the next one follows", () => {
    const state = setAt(T0)
    expect(D.dueFire(state, T0 + 299_999)).toBeUndefined()
    expect(D.dueFire(state, T0 + 300_000)).toEqual({ fireAt: T0 + 300_000, skipped: 0, nextRunAt: T0 + 600_000 })
  })

  it("after downtime only the latest missed fire time is due; the others are counted as skipped", () => {
    const state = setAt(T0)
    const hourLater = T0 + 3_600_000 + 60_000
    expect(D.dueFire(state, hourLater)).toEqual({ fireAt: T0 + 3_600_000, skipped: 11, nextRunAt: T0 + 3_900_000 })
  })

  it("a fired schedule owes nothing until its next fire time; one fire time always makes the same run id", () => {
    const state = setAt(T0)
    const due = D.dueFire(state, T0 + 300_000)!
    const fired = D.evolveSchedule(state, new D.ScheduleFired({
      fireAt: new Date(due.fireAt).toISOString(),
      runId: D.scheduledRunId("digest", new Date(due.fireAt).toISOString()),
      skipped: 0,
      nextRunAt: new Date(due.nextRunAt).toISOString(),
      at: new Date(T0 + 300_000).toISOString()
    }))
    expect(D.dueFire(fired, T0 + 300_001)).toBeUndefined()
    expect(D.scheduledRunId("digest", "2026-03-01T10:05:00.000Z")).toBe(D.scheduledRunId("digest", "2026-03-01T10:05:00.000Z"))
    expect(D.scheduledRunId("digest", "2026-03-01T10:05:00.000Z")).toMatch(/^run_[0-9a-f]{32}$/)
  })

  it("a disabled or deleted schedule is never due; setting the same settings again changes nothing", () => {
    expect(setAt(T0, spec({ enabled: false })).nextRunAt).toBeNull()
    const state = setAt(T0)
    expect(D.decideSetSchedule(state, { spec: spec(), now: T0 + 5 })).toEqual([])
    const deleted = D.decideDeleteSchedule(state, T0).reduce(D.evolveSchedule, state)
    expect(D.dueFire(deleted, T0 + 10 * 3_600_000)).toBeUndefined()
    expect(D.decideDeleteSchedule(deleted, T0)).toEqual([])
  })

  it("cron takes 5 fields, or 6 with seconds first; anything else is refused with a reason", () => {
    expect(Either.isRight(D.parseCron("0 9 * * 1-5"))).toBe(true)
    expect(Either.isRight(D.parseCron("*/10 * * * * *"))).toBe(true)
    expect(D.parseCron("* * * *")).toEqual(Either.left("must have 5 fields (or 6 with seconds first), got 4"))
    expect(Either.isLeft(D.parseCron("99 * * * *"))).toBe(true)
    expect(D.isTimezone("Europe/Paris")).toBe(true)
    expect(D.isTimezone("Mars/Olympus")).toBe(false)
  })
})

describe("queue retries", () => {
  it("backoff is 5 s doubling per try, capped at 5 minutes", () => {
    expect([1, 2, 3, 4, 7, 8, 20].map((tries) => D.backoffMs(D.QUEUE_BACKOFF, tries))).toEqual([
      5_000, 10_000, 20_000, 40_000, 300_000, 300_000, 300_000
    ])
  })
})
