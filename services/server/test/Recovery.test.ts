import { expect, it } from "@effect/vitest"
import { verifyWebhookSignature } from "@tidebase/sdk"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { ServerConfig } from "@tidebase/server"
import { inject } from "vitest"
import { runCli } from "../../../test/Cli.js"
import { startHttpServer } from "../../../test/Proxy.js"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

const SECRET = "webhook-secret"
const FAILING_RUNS = 50
const SERVERS = 3

interface Received {
  readonly body: string
  readonly signature: string | undefined
  readonly at: number
}

/** A webhook receiver on 127.0.0.1 answering each call with the next status of `statuses` (then 200). */
const receiver = (statuses: ReadonlyArray<number> = []) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const calls: Array<Received> = []
      const server = await startHttpServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const signature = request.headers["x-tidebase-signature"]
          calls.push({ body: Buffer.concat(chunks).toString("utf8"), signature: typeof signature === "string" ? signature : undefined, at: Date.now() })
          response.writeHead(statuses[calls.length - 1] ?? 200, { "content-type": "text/plain" })
          response.end(`call ${calls.length}`)
        })
      })
      return { url: server.url, calls, close: server.close }
    }),
    (r) => Effect.promise(r.close)
  )

const serverUrl = (overrides: Partial<ServerConfig> = {}) =>
  Layer.build(TestServerLive({ webhookSecret: Option.some(Redacted.make(SECRET)), webhookRetryMs: 100, ...overrides })).pipe(
    Effect.map((context) => Context.get(context, TestServer).url)
  )

/** A run with a recovery webhook, begun and failed by its worker. */
const failedRun = (api: ReturnType<typeof http>, recoveryWebhook: string) =>
  Effect.gen(function*() {
    const run = (yield* api.post("/runs/flaky", { recoveryWebhook })).body.run
    const { leaseOwner } = (yield* api.post(`/runs/${run.id}/begin`, {})).body
    yield* api.post(`/runs/${run.id}/fail`, { error: { message: "boom" }, leaseOwner })
    return run.id as string
  })

const until = <A>(read: Effect.Effect<A>, done: (a: A) => boolean, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const value = yield* read
      if (done(value) || Date.now() > deadline) return value
      yield* Effect.sleep("50 millis")
    }
  })

const detail = (api: ReturnType<typeof http>, runId: string) => Effect.map(api.get(`/runs/${runId}`), (r) => r.body)

it.scopedLive("a failed run's recovery webhook gets one run.resume, signed: the SDK verifies the signature and refuses a tampered body", () =>
  Effect.gen(function*() {
    const hook = yield* receiver()
    const api = http(yield* serverUrl())
    const runId = yield* failedRun(api, hook.url)
    const run = yield* until(detail(api, runId), (d) => d.recoveryAttempts[0]?.status === "delivered")
    expect(run.recoveryAttempts).toMatchObject([{ status: "delivered", tries: 1, httpStatus: 200, responseBody: "call 1", url: hook.url }])
    expect(hook.calls).toHaveLength(1)
    const call = hook.calls[0]!
    expect(JSON.parse(call.body)).toEqual({ type: "run.resume", runId, workflowName: "flaky", reason: "failed", attempt: 1 })
    expect(verifyWebhookSignature(call.body, call.signature, SECRET)).toBe(true)
    expect(verifyWebhookSignature(call.body.replace("flaky", "other"), call.signature, SECRET)).toBe(false)
    const types = run.events.map((e: { type: string }) => e.type)
    expect(types.slice(-3)).toEqual(["run.failed", "recovery.started", "recovery.delivered"])
  }))

it.scopedLive("a receiver that fails twice, then answers 200, gets three tries, recorded with their statuses, at growing intervals", () =>
  Effect.gen(function*() {
    const hook = yield* receiver([500, 503])
    const api = http(yield* serverUrl())
    const runId = yield* failedRun(api, hook.url)
    const run = yield* until(detail(api, runId), (d) => d.recoveryAttempts[0]?.status === "delivered")
    expect(run.recoveryAttempts[0]).toMatchObject({ status: "delivered", tries: 3, httpStatus: 200, error: null })
    const tries = run.events.filter((e: { type: string }) => e.type.startsWith("recovery."))
    expect(tries.map((e: { type: string; payload: { httpStatus: number } }) => [e.type, e.payload.httpStatus ?? null])).toEqual([
      ["recovery.started", null],
      ["recovery.failed", 500],
      ["recovery.failed", 503],
      ["recovery.delivered", 200]
    ])
    expect(hook.calls).toHaveLength(3)
    const gaps = [hook.calls[1]!.at - hook.calls[0]!.at, hook.calls[2]!.at - hook.calls[1]!.at]
    expect(gaps[0]).toBeGreaterThanOrEqual(50)
    expect(gaps[1]).toBeGreaterThan(gaps[0]!)
  }))

it.scopedLive("a call committed while no dispatcher runs (a server that died before sending) is sent once a dispatcher starts", () =>
  Effect.gen(function*() {
    const hook = yield* receiver()
    const quiet = http(yield* serverUrl({ dispatch: false }))
    const runId = yield* failedRun(quiet, hook.url)
    yield* Effect.sleep("500 millis")
    expect(hook.calls).toHaveLength(0)
    expect((yield* detail(quiet, runId)).recoveryAttempts[0]).toMatchObject({ status: "pending", tries: 0 })

    yield* serverUrl()
    const run = yield* until(detail(quiet, runId), (d) => d.recoveryAttempts[0]?.status === "delivered")
    expect(run.recoveryAttempts[0].status).toBe("delivered")
    expect(hook.calls).toHaveLength(1)
  }))

it.scopedLive(`with ${SERVERS} servers dispatching from one database, ${FAILING_RUNS} failed runs each get exactly one run.resume; a run without a webhook owes none`, () =>
  Effect.gen(function*() {
    const hook = yield* receiver()
    const urls = yield* Effect.all(Array.from({ length: SERVERS }, () => serverUrl()))
    const runIds = yield* Effect.all(
      Array.from({ length: FAILING_RUNS }, (_, i) => failedRun(http(urls[i % SERVERS]!), hook.url)),
      { concurrency: "unbounded" }
    )
    const api = http(urls[0]!)
    yield* until(Effect.sync(() => hook.calls.length), (n) => n >= FAILING_RUNS)
    yield* Effect.sleep("1 second")
    const perRun = new Map<string, number>()
    for (const call of hook.calls) {
      const { runId } = JSON.parse(call.body) as { runId: string }
      perRun.set(runId, (perRun.get(runId) ?? 0) + 1)
    }
    expect([...perRun.keys()].sort()).toEqual([...runIds].sort())
    expect([...perRun.values()].every((n) => n === 1)).toBe(true)
    for (const runId of runIds) {
      const run = yield* detail(api, runId)
      expect(run.events.filter((e: { type: string }) => e.type === "recovery.delivered")).toHaveLength(1)
    }
    const plain = (yield* api.post("/runs/plain", {})).body.run.id
    const { leaseOwner } = (yield* api.post(`/runs/${plain}/begin`, {})).body
    yield* api.post(`/runs/${plain}/fail`, { error: "x", leaseOwner })
    expect((yield* detail(api, plain)).recoveryAttempts).toEqual([])
  }), 30_000)

it.scopedLive("a recovery webhook that is not an absolute http(s) URL is a 400 naming recoveryWebhook, and no run is made", () =>
  Effect.gen(function*() {
    const api = http(yield* serverUrl())
    for (const recoveryWebhook of ["ftp://example.com/hook", "/relative", "not a url"]) {
      const reply = yield* api.post("/runs/flaky", { runId: "never-made", recoveryWebhook })
      expect([reply.status, reply.body.issues[0].path]).toEqual([400, ["recoveryWebhook"]])
    }
    expect((yield* api.get("/runs/never-made")).status).toBe(404)
  }))

it.scopedLive("POST /runs/:id/recover sends the webhook a run.resume now (reason given, recorded like any call); tide.runs.recover on a run without a webhook rejects with NoRecoveryWebhookError (422)", () =>
  Effect.gen(function*() {
    const hook = yield* receiver()
    const url = yield* serverUrl()
    const api = http(url)
    const run = (yield* api.post("/runs/stalled", { recoveryWebhook: hook.url })).body.run
    const asked = yield* api.post(`/runs/${run.id}/recover`, { reason: "stalled" })
    expect(asked.status).toBe(200)
    expect(asked.body.recoveryAttempt).toMatchObject({ status: "pending", reason: "stalled", url: hook.url })
    yield* until(Effect.sync(() => hook.calls.length), (n) => n >= 1)
    expect(JSON.parse(hook.calls[0]!.body)).toMatchObject({ type: "run.resume", runId: run.id, reason: "stalled" })

    const { NoRecoveryWebhookError, Tidebase } = yield* Effect.promise(() => import("@tidebase/sdk"))
    const tide = new Tidebase({ url })
    const plain = (yield* api.post("/runs/plain", {})).body.run.id
    const refused = yield* Effect.promise(() => tide.runs.recover(plain).then(() => undefined, (e: unknown) => e))
    expect(refused).toBeInstanceOf(NoRecoveryWebhookError)
    expect((yield* api.post(`/runs/${plain}/recover`, {})).status).toBe(422)
    yield* Effect.promise(() => tide.close())
  }))

it.scopedLive("a running run whose worker stopped heartbeating gets one run.resume (reason lease_expired) per lost lease, across 2 servers", () =>
  Effect.gen(function*() {
    const hook = yield* receiver()
    const urls = [yield* serverUrl(), yield* serverUrl()]
    const api = http(urls[0]!)
    const run = (yield* api.post("/runs/stalling", { recoveryWebhook: hook.url })).body.run
    yield* api.post(`/runs/${run.id}/begin`, { leaseMs: 300 })
    yield* until(Effect.sync(() => hook.calls.length), (n) => n >= 1)
    yield* Effect.sleep("1500 millis")
    expect(hook.calls.map((c) => JSON.parse(c.body))).toEqual([
      { type: "run.resume", runId: run.id, workflowName: "stalling", reason: "lease_expired", attempt: 1 }
    ])
    // The resumed worker takes the run again and dies again: a new lease, a new call.
    yield* api.post(`/runs/${run.id}/begin`, { leaseMs: 300 })
    yield* until(Effect.sync(() => hook.calls.length), (n) => n >= 2)
    yield* Effect.sleep("1 second")
    expect(hook.calls.map((c) => JSON.parse(c.body).attempt)).toEqual([1, 2])
  }), 20_000)

it.scopedLive("with TIDEBASE_WEBHOOK_DENY_PRIVATE a loopback webhook is never called: one failed try naming the refusal, not retried", () =>
  Effect.gen(function*() {
    const hook = yield* receiver()
    const api = http(yield* serverUrl({ webhookDenyPrivate: true }))
    const runId = yield* failedRun(api, hook.url)
    const run = yield* until(detail(api, runId), (d) => d.recoveryAttempts[0]?.status === "failed")
    expect(run.recoveryAttempts[0]).toMatchObject({ status: "failed", tries: 1, httpStatus: null, nextAttemptAt: null })
    expect(run.recoveryAttempts[0].error).toContain("private address 127.0.0.1")
    yield* Effect.sleep("500 millis")
    expect(hook.calls).toHaveLength(0)
  }))

it.scopedLive("a webhook receiver that takes 5 s to answer holds up no other run: writes and failures of other runs go on meanwhile", () =>
  Effect.gen(function*() {
    const slow = yield* Effect.acquireRelease(
      Effect.promise(() => startHttpServer((_request, response) => void setTimeout(() => response.writeHead(200).end(), 5_000))),
      (server) => Effect.promise(() => server.close())
    )
    const api = http(yield* serverUrl({ webhookTimeoutMs: 10_000 }))
    const stuck = yield* Effect.all(Array.from({ length: 5 }, () => failedRun(api, slow.url)), { concurrency: "unbounded" })
    yield* Effect.sleep("200 millis")
    // The calls are in flight now; the dispatcher holds no run's lock while it waits on them.
    const started = Date.now()
    const other = (yield* api.post("/runs/unaffected", {})).body.run.id
    const { leaseOwner } = (yield* api.post(`/runs/${other}/begin`, {})).body
    for (let i = 0; i < 10; i++) {
      const step = yield* api.post(`/runs/${other}/steps/checkpoint`, { name: `s${i}`, inputHash: "h", output: i, leaseOwner })
      expect(step.body.action).toBe("recorded")
    }
    const alsoFailing = yield* failedRun(api, slow.url)
    yield* api.post(`/runs/${stuck[0]}/cancel`, { reason: "meanwhile" })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect((yield* detail(api, alsoFailing)).run.status).toBe("failed")
    expect((yield* detail(api, stuck[0]!)).recoveryAttempts[0].status).toBe("pending")
  }), 20_000)

it.scopedLive("a server process SIGKILLed after committing a failure and before sending its webhook: the call is sent once, by a server started after it", () =>
  Effect.gen(function*() {
    const hook = yield* receiver()
    let runId = ""
    // Its dispatcher is off, so the call is committed and certainly not sent when it dies.
    const env = { DATABASE_URL: inject("databaseUrl"), PORT: "0", TIDEBASE_DISPATCH: "0", TIDEBASE_ACCESS_LOG: "0" }
    const killed = yield* Effect.promise(() =>
      runCli(["start"], env, /listening on/, async (stdout) => {
        const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!
        runId = await Effect.runPromise(failedRun(http(url), hook.url))
      }, "SIGKILL"))
    expect(killed.signal).toBe("SIGKILL")
    expect(runId).not.toBe("")
    expect(hook.calls).toHaveLength(0)

    const api = http(yield* serverUrl())
    const run = yield* until(detail(api, runId), (d) => d.recoveryAttempts[0]?.status === "delivered")
    expect(run.recoveryAttempts).toMatchObject([{ status: "delivered", tries: 1 }])
    yield* Effect.sleep("300 millis")
    expect(hook.calls.map((c) => JSON.parse(c.body).runId)).toEqual([runId])
  }), 60_000)
