import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Logger } from "effect"
import { LISTENER_APPLICATION_NAME } from "../src/Events/LiveEvents.js"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

class DatabaseUrl extends Context.Tag("test/DatabaseUrl")<DatabaseUrl, string>() {}

const logs: Array<string> = []
const CaptureLogs = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ message }) => {
    logs.push(Array.isArray(message) ? message.join(" ") : String(message))
  })
)

const Reader = onScratchDatabase((url) => Layer.merge(TestServerLive({}, url), Layer.succeed(DatabaseUrl, url))).pipe(
  Layer.provide(CaptureLogs)
)

interface Arrival {
  readonly seq: number
  readonly at: number
}

/** Reads a run's event stream for as long as the fiber lives, noting when each seq arrived. */
const follow = (url: string, arrivals: Array<Arrival>) =>
  Effect.promise(async (signal) => {
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal })
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ""
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1]
        buffer = buffer.slice(end + 2)
        if (data !== undefined) arrivals.push({ seq: JSON.parse(data).seq, at: performance.now() })
      }
    }
  })

const eventually = <A>(check: Effect.Effect<A | undefined>, within: number, what: string) =>
  Effect.gen(function*() {
    const deadline = performance.now() + within
    for (;;) {
      const value = yield* check
      if (value !== undefined) return value
      if (performance.now() > deadline) return yield* Effect.dieMessage(`not within ${within} ms: ${what}`)
      yield* Effect.sleep("10 millis")
    }
  })

layer(Reader, { excludeTestServices: true })("the event listener", (it) => {
  it.effect("when its LISTEN connection is terminated it listens again, and a live SSE reader gets another replica's new event promptly (well under the 2 s poll)", () =>
    Effect.gen(function*() {
      const reader = (yield* TestServer).url
      // A second replica, built on its own: appends there reach the reader only through LISTEN/NOTIFY.
      const replica = yield* Layer.build(TestServerLive({}, yield* DatabaseUrl))
      const writer = http(Context.get(replica, TestServer).url)
      const sql = yield* SqlClient.SqlClient
      const listeners = sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where application_name = ${LISTENER_APPLICATION_NAME} and datname = current_database()`.pipe(
        Effect.map((rows) => rows[0]!.n),
        Effect.orDie
      )
      const terminateListeners = sql<{ n: number }>`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where application_name = ${LISTENER_APPLICATION_NAME} and datname = current_database()`.pipe(
        Effect.map((rows) => rows[0]!.n),
        Effect.orDie
      )
      expect(yield* listeners).toBe(2)

      const runId = (yield* writer.post("/runs/listener", {})).body.run.id
      const arrivals: Array<Arrival> = []
      yield* Effect.forkScoped(follow(`${reader}/runs/${runId}/events`, arrivals))
      yield* eventually(Effect.sync(() => arrivals.find((a) => a.seq === 1)), 5_000, "history")

      /** Appends one event through the writer; how long until the reader's stream delivered it. */
      const latency = (name: string) =>
        Effect.gen(function*() {
          const sent = performance.now()
          const reply = yield* writer.post(`/runs/${runId}/steps/begin`, { name, inputHash: "h" })
          expect(reply.status).toBe(200)
          const seq = reply.body.step.seq as number
          const arrival = yield* eventually(Effect.sync(() => arrivals.find((a) => a.seq === seq)), 5_000, `seq ${seq}`)
          return arrival.at - sent
        })

      logs.length = 0
      for (let round = 0; round < 3; round++) {
        expect(yield* terminateListeners).toBe(2)
        // Written while the listeners are down: heard of once they listen again (catch-up).
        expect(yield* latency(`while-down-${round}`)).toBeLessThan(1_000)
        yield* eventually(Effect.map(listeners, (n) => n === 2 ? n : undefined), 3_000, "both replicas listening again")
        // And then through NOTIFY again.
        expect(yield* latency(`after-${round}`)).toBeLessThan(500)
      }
      expect(logs.filter((l) => l.startsWith("event listener lost its connection")).length).toBeGreaterThanOrEqual(3)
      expect(logs.filter((l) => l.startsWith("event listener listening again")).length).toBeGreaterThanOrEqual(3)
    }).pipe(Effect.scoped))
})
