import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { ProjectionRebuilder, ProjectionRebuilderLive } from "@tidebase/server"
import { startHttpServer } from "../../../test/Proxy.js"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

const ScratchLive = onScratchDatabase((url) => Layer.mergeAll(TestServerLive({}, url), ProjectionRebuilderLive))

layer(ScratchLive, { excludeTestServices: true })("read models are disposable", (it) => {
  it.effect("verify reports a tampered read model column by column, and rebuild restores it from the events", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const sql = yield* SqlClient.SqlClient
      const rebuilder = yield* ProjectionRebuilder
      const runId = (yield* api.post("/runs/projections", { input: { topic: "x" } })).body.run.id
      const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h" })
      yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, { leaseOwner: begun.body.leaseOwner, output: [1, 2] })
      expect(yield* rebuilder.verify).toEqual([])

      yield* sql`update runs set status = 'failed' where id = ${runId}`
      yield* sql`update steps set output = '"forged"' where run_id = ${runId}`
      const differences = yield* rebuilder.verify
      expect(differences.map((d) => [d.table, d.sampleIds[0], Object.keys(d.columns)])).toEqual([
        ["runs", runId, ["status"]],
        ["steps", begun.body.step.id, ["output"]]
      ])
      expect((yield* api.get(`/runs/${runId}`)).body.run.status).toBe("failed")

      yield* rebuilder.rebuild
      expect(yield* rebuilder.verify).toEqual([])
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.run.status).toBe("running")
      expect(detail.steps[0].output).toEqual([1, 2])
    }))

  it.effect("an old event keeps its stored type and reads as the new one: run.begun folds and lists as run.started", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const sql = yield* SqlClient.SqlClient
      const rebuilder = yield* ProjectionRebuilder
      const runId = (yield* api.post("/runs/upcast", {})).body.run.id
      const at = new Date().toISOString()
      const leaseExpiresAt = new Date(Date.now() + 60_000).toISOString()
      // What a log written before the rename holds: the begin fact under its old name.
      yield* sql`insert into events (category, stream_id, seq, type, payload, created_at)
        values ('run', ${runId}, 2, 'run.begun', ${JSON.stringify({ leaseOwner: "old-worker", leaseExpiresAt, attempt: 1, at })}::jsonb, ${at})`
      yield* sql`update event_streams set version = 2 where category = 'run' and stream_id = ${runId}`
      yield* rebuilder.rebuild

      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.events.map((e: { type: string }) => e.type)).toEqual(["run.created", "run.started"])
      expect(detail.run).toMatchObject({ status: "running", leaseOwner: "old-worker", attempt: 1 })
      const json = (yield* api.get(`/runs/${runId}/events`, { accept: "application/json" })).body
      expect(json.events[1].type).toBe("run.started")
      const [stored] = yield* sql<{ type: string }>`select type from events where stream_id = ${runId} and seq = 2`
      expect(stored!.type).toBe("run.begun")
      // Commands decide on it like any other begin: the old owner's lease is live.
      const other = yield* api.post(`/runs/${runId}/begin`, {}, { "x-tidebase-worker": "new-worker" })
      expect(other.status).toBe(409)
      expect(other.body.leaseOwner).toBe("old-worker")
      expect(yield* rebuilder.verify).toEqual([])
    }))

  it.effect("a rebuild resends nothing: a delivered recovery call stays delivered and is never sent again, and the outbox keeps working after it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const rebuilder = yield* ProjectionRebuilder
      const received: Array<string> = []
      const hook = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startHttpServer((request, response) => {
            const chunks: Array<Buffer> = []
            request.on("data", (chunk: Buffer) => chunks.push(chunk))
            request.on("end", () => {
              received.push((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { runId: string }).runId)
              response.writeHead(200).end()
            })
          })
        ),
        (server) => Effect.promise(() => server.close())
      )
      const failedRun = Effect.gen(function*() {
        const runId = (yield* api.post("/runs/rebuilt-outbox", { recoveryWebhook: hook.url })).body.run.id as string
        const { leaseOwner } = (yield* api.post(`/runs/${runId}/begin`, {})).body
        yield* api.post(`/runs/${runId}/fail`, { error: "boom", leaseOwner })
        return runId
      })
      const delivered = (runId: string) =>
        Effect.gen(function*() {
          for (let i = 0; i < 200; i++) {
            const attempts = (yield* api.get(`/runs/${runId}`)).body.recoveryAttempts as Array<{ status: string }>
            if (attempts[0]?.status === "delivered") return true
            yield* Effect.sleep("25 millis")
          }
          return false
        })
      const first = yield* failedRun
      expect(yield* delivered(first)).toBe(true)
      yield* rebuilder.rebuild
      expect(yield* rebuilder.verify).toEqual([])
      const second = yield* failedRun
      expect(yield* delivered(second)).toBe(true)
      yield* Effect.sleep("500 millis")
      expect(received).toEqual([first, second])
      expect((yield* api.get(`/runs/${first}`)).body.recoveryAttempts).toMatchObject([{ status: "delivered", tries: 1 }])
    }).pipe(Effect.scoped))
})
