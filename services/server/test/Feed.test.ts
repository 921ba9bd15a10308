import { expect } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import { inject } from "vitest"
import { readSseUntil } from "../../../test/Sse.js"
import type { SseMessage } from "../../../test/Sse.js"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>

const WRITERS = 20

/** A plain connection of the test's own, for what the server must not be asked to do (hold a transaction open). */
const client = Effect.acquireRelease(
  Effect.promise(async () => {
    const c = new pg.Client({ connectionString: inject("databaseUrl") })
    await c.connect()
    return c
  }),
  (c) => Effect.promise(() => c.end())
)

const query = <R extends Record<string, unknown>>(c: pg.Client, text: string, params: Array<unknown> = []) =>
  Effect.promise(() => c.query<R>(text, params)).pipe(Effect.map((r) => r.rows))

const lastPosition = (c: pg.Client) => Effect.map(query<{ p: string | null }>(c, "select max(position) as p from events"), (rows) => Number(rows[0]?.p ?? 0))

const runPositionsAfter = (c: pg.Client, after: number) =>
  Effect.map(query<{ position: string }>(c, "select position from events where category = 'run' and position > $1 order by position", [after]), (rows) =>
    rows.map((r) => Number(r.position)))

/** A position drawn in a transaction left open: what an append that has not committed yet looks like to readers. */
const holdPosition = (c: pg.Client, stream: string) =>
  Effect.gen(function*() {
    yield* query(c, "begin")
    yield* query(c, "insert into event_streams (category, stream_id, version) values ('feed-test', $1, 1)", [stream])
    const rows = yield* query<{ position: string }>(c,
      `insert into events (category, stream_id, seq, type, payload, created_at) values ('feed-test', $1, 1, 'held', '{}', now()) returning position`, [stream])
    return Number(rows[0]!.position)
  })

const writeRun = (api: Api, i: number) =>
  Effect.gen(function*() {
    const runId = (yield* api.post("/runs/feed-load", { input: { i } })).body.run.id as string
    for (const name of ["a", "b"]) {
      const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name, inputHash: name })
      yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, { leaseOwner: begun.body.leaseOwner, output: name })
    }
  })

serverSuite("the global event feed", (it) => {
  it.scoped("a feed reader never passes a position an open transaction holds: events committed after it wait, then come in position order", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const c = yield* client
      const holder = yield* client
      const start = yield* lastPosition(c)
      const held = yield* holdPosition(holder, `held-${Date.now()}`)
      const runId = (yield* api.post("/runs/feed-held", {})).body.run.id as string

      const page = yield* api.get(`/events?after=${start}`, { accept: "application/json" })
      expect(page.body.events.filter((e: any) => e.position > held)).toEqual([])
      expect(page.body.next).toBeLessThan(held)

      const reader = yield* Effect.fork(readSseUntil(`${url}/events?after=${start}`, (m) => m.some((e) => e.data.runId === runId)))
      yield* Effect.sleep("300 millis")
      expect(reader.unsafePoll()).toBeNull()
      yield* query(holder, "commit")
      const messages = yield* reader.await.pipe(Effect.flatten, Effect.timeout("5 seconds"))
      const positions = messages.map((m) => Number(m.id))
      expect(positions).toEqual([...positions].sort((a, b) => a - b))
      expect(messages.find((m) => m.data.runId === runId)?.data.type).toBe("run.created")
    }))

  it.scoped("a position whose transaction rolled back is passed once that transaction has ended", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const holder = yield* client
      const start = yield* lastPosition(holder)
      yield* holdPosition(holder, `rolled-${Date.now()}`)
      const runId = (yield* api.post("/runs/feed-rolled", {})).body.run.id as string
      const reader = yield* Effect.fork(readSseUntil(`${url}/events?after=${start}`, (m) => m.some((e) => e.data.runId === runId)))
      yield* Effect.sleep("200 millis")
      expect(reader.unsafePoll()).toBeNull()
      yield* query(holder, "rollback")
      const messages = yield* reader.await.pipe(Effect.flatten, Effect.timeout("5 seconds"))
      expect(messages.map((m) => m.data.runId)).toContain(runId)
    }))

  it.scoped(`a reader that starts mid-load with ${WRITERS} concurrent writers gets every run event after its start once, in position order`, () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const c = yield* client
      let target = Number.POSITIVE_INFINITY
      const done = (messages: ReadonlyArray<SseMessage>) => messages.length > 0 && Number(messages[messages.length - 1]!.id) >= target

      const writers = yield* Effect.fork(Effect.all(
        Array.from({ length: WRITERS }, (_, w) =>
          Effect.gen(function*() {
            for (let i = 0; i < 6; i++) yield* writeRun(api, w * 100 + i)
          })),
        { concurrency: "unbounded" }
      ))
      // Contention too: writers racing on one run lose appends, and each lost append leaves a gap for good.
      const shared = (yield* api.post("/runs/feed-shared", {})).body.run.id as string
      const racers = yield* Effect.fork(Effect.all(
        Array.from({ length: WRITERS }, (_, i) => api.patch(`/runs/${shared}/state`, { value: { [`k${i}`]: i } })),
        { concurrency: "unbounded" }
      ))
      yield* Effect.sleep("150 millis")
      const start = yield* lastPosition(c)
      const reader = yield* Effect.fork(readSseUntil(`${url}/events?after=${start}`, done))
      yield* writers.await
      yield* racers.await
      const expected = yield* runPositionsAfter(c, start)
      target = expected[expected.length - 1]!
      // A last event so the reader wakes after `target` is set even if it had already read everything.
      yield* api.post("/runs/feed-last", {})
      const messages = yield* reader.await.pipe(Effect.flatten, Effect.timeout("20 seconds"))
      const delivered = messages.map((m) => Number(m.id)).filter((p) => p <= target)
      expect(expected.length).toBeGreaterThan(WRITERS * 6 * 3)
      expect(delivered).toEqual(expected)
    }))

  it.effect("the JSON form pages the feed by position, filtered by ?types=", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const before = (yield* api.get("/events?limit=1000", { accept: "application/json" })).body
      const runId = (yield* api.post("/runs/feed-json", {})).body.run.id as string
      yield* writeRun(api, 1)
      let after = 0
      const all: Array<any> = []
      while (true) {
        const page = (yield* api.get(`/events?after=${after}&limit=50`, { accept: "application/json" })).body
        all.push(...page.events)
        if (page.next === after) break
        after = page.next
      }
      expect(all.length).toBeGreaterThanOrEqual(before.events.length)
      expect(all.map((e) => e.position)).toEqual([...all.map((e) => e.position)].sort((a, b) => a - b))
      expect(new Set(all.map((e) => e.position)).size).toBe(all.length)
      expect(all.some((e) => e.runId === runId)).toBe(true)
      const created = (yield* api.get(`/events?types=run.created&after=0`, { accept: "application/json" })).body.events
      expect(new Set(created.map((e: any) => e.type))).toEqual(new Set(["run.created"]))
    }))
})
