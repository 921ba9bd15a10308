import { expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

const SERVERS = 3
const WINDOW_MS = 10_000

let made = 0
const uniqueName = (label: string) => `${label}-${Date.now().toString(36)}-${++made}`

const serverUrl = () =>
  Layer.build(TestServerLive({ reconcileMs: 200 })).pipe(Effect.map((context) => Context.get(context, TestServer).url))

/** Every run waiting in `queue`, claimed (so read whole). */
const drain = (api: ReturnType<typeof http>, queue: string) =>
  Effect.gen(function*() {
    const runs: Array<{ id: string; metadata: { schedule: string; fireAt: string }; workflowName: string; input: unknown }> = []
    while (true) {
      const batch = (yield* api.post("/queues/claim", { queues: [queue], limit: 100 })).body.runs
      if (batch.length === 0) return runs
      runs.push(...batch)
    }
  })

it.scopedLive(`with ${SERVERS} servers on one database, a schedule every second enqueues each fire time exactly once`, () =>
  Effect.gen(function*() {
    const urls = yield* Effect.all(Array.from({ length: SERVERS }, () => serverUrl()))
    const api = http(urls[0]!)
    const name = uniqueName("every-second")
    const queue = uniqueName("scheduled")
    const set = yield* api.put(`/schedules/${name}`, { cron: "* * * * * *", workflowName: "tick", input: { n: 1 }, queue })
    expect(set.status).toBe(200)
    const started = Date.now()
    yield* Effect.sleep(WINDOW_MS)
    expect((yield* http(urls[1]!).del(`/schedules/${name}`)).body).toEqual({ deleted: name })
    const stopped = Date.now()
    yield* Effect.sleep("300 millis")

    const runs = yield* drain(api, queue)
    const fireTimes = runs.map((r) => Date.parse(r.metadata.fireAt)).sort((a, b) => a - b)
    expect(new Set(fireTimes).size).toBe(fireTimes.length)
    for (let i = 1; i < fireTimes.length; i++) expect(fireTimes[i]! - fireTimes[i - 1]!).toBe(1_000)
    // Every whole second of the window fired, none outside it (one of slack at each end).
    const expected = Math.floor(stopped / 1_000) - Math.ceil(started / 1_000) + 1
    expect(fireTimes.length).toBeGreaterThanOrEqual(expected - 1)
    expect(fireTimes.length).toBeLessThanOrEqual(expected + 1)
    expect(runs.every((r) => r.workflowName === "tick" && r.metadata.schedule === name)).toBe(true)
    expect(runs[0]!.input).toEqual({ n: 1 })
  }), 60_000)

it.scopedLive("PUT sets a schedule (5 fields, UTC by default) with its next fire time; GET lists it; DELETE removes it, then answers 404", () =>
  Effect.gen(function*() {
    const api = http(yield* serverUrl())
    const name = uniqueName("nightly")
    const set = yield* api.put(`/schedules/${name}`, { cron: "30 2 * * *", workflowName: "digest", maxAttempts: 2 })
    expect(set.status).toBe(200)
    const next = new Date(set.body.schedule.nextRunAt)
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([2, 30, 0])
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000)
    expect(set.body.schedule).toMatchObject({
      name, cron: "30 2 * * *", timezone: "UTC", workflowName: "digest", input: {}, queue: "default", maxAttempts: 2, enabled: true, lastEnqueuedAt: null
    })
    const listed = (yield* api.get("/schedules")).body.schedules.find((s: { name: string }) => s.name === name)
    expect(listed).toEqual(set.body.schedule)

    const paris = yield* api.put(`/schedules/${name}`, { cron: "30 2 * * *", workflowName: "digest", timezone: "Europe/Paris", enabled: false })
    expect(paris.body.schedule).toMatchObject({ timezone: "Europe/Paris", enabled: false, nextRunAt: null })

    expect((yield* api.del(`/schedules/${name}`)).body).toEqual({ deleted: name })
    const again = yield* api.del(`/schedules/${name}`)
    expect([again.status, again.body.code]).toEqual([404, "schedule_not_found"])
    expect((yield* api.get("/schedules")).body.schedules.some((s: { name: string }) => s.name === name)).toBe(false)
    expect((yield* api.del(`/schedules/${uniqueName("never")}`)).status).toBe(404)
  }))

it.scopedLive("a bad cron expression or time zone is a 400 naming the field, and no schedule is made", () =>
  Effect.gen(function*() {
    const api = http(yield* serverUrl())
    const name = uniqueName("bad")
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ cron: "61 * * * *", workflowName: "w" }, "cron"],
      [{ cron: "every day", workflowName: "w" }, "cron"],
      [{ cron: "* * * * * * *", workflowName: "w" }, "cron"],
      [{ cron: "0 9 * * *", workflowName: "w", timezone: "Mars/Olympus" }, "timezone"],
      [{ cron: "0 9 * * *" }, "workflowName"]
    ]
    for (const [body, field] of cases) {
      const reply = yield* api.put(`/schedules/${name}`, body)
      expect([reply.status, reply.body.code], JSON.stringify(body)).toEqual([400, "bad_request"])
      expect(reply.body.error).toContain(field)
    }
    expect((yield* api.get("/schedules")).body.schedules.some((s: { name: string }) => s.name === name)).toBe(false)
  }))
