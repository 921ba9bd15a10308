import { describe, expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { MAX_JSON_DEPTH } from "@tidebase/api"
import { Effect, Layer, Logger } from "effect"
import { connect } from "node:net"
import { onScratchDatabase } from "../../../test/ScratchDatabase.js"
import { http, serverSuite, TestServer, TestServerLive } from "../../../test/TestServer.js"

const NUL = "a\u0000b"
const LONE_SURROGATE = "a\ud800b"

/** `[[…[0]…]]`, n arrays deep, as JSON text (stringifying it would overflow the test's own stack). */
const nestedJson = (depth: number) => `${"[".repeat(depth)}0${"]".repeat(depth)}`

const raw = (url: string, method: string, path: string, headers: Record<string, string>, body?: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    return { status: response.status, type: response.headers.get("content-type"), text, body: JSON.parse(text || "null") }
  })

/** Bytes straight onto a socket, for requests fetch refuses to send; resolves with whatever comes back. */
const rawSocket = (url: string, bytes: string) =>
  Effect.promise(() =>
    new Promise<string>((resolve, reject) => {
      const { hostname, port } = new URL(url)
      const socket = connect(Number(port), hostname, () => socket.end(bytes))
      let received = ""
      socket.on("data", (chunk) => (received += chunk))
      socket.on("close", () => resolve(received))
      socket.on("error", reject)
    })
  ).pipe(Effect.timeout("5 seconds"))

const jsonBodyOf = (response: string) => JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4))

serverSuite("faults found by probing the server", (it) => {
  it.effect("text Postgres cannot store (NUL, a lone surrogate) in any field, key or path parameter is a 400 naming it, and nothing is written", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const api = http(url)
      for (const bad of [NUL, LONE_SURROGATE]) {
        const refused = [
          ["/runs/faults-text", { runId: "faults-text-never", input: { note: bad } }, ["input", "note"]],
          ["/runs/faults-text", { runId: "faults-text-never", metadata: { [bad]: 1 } }, ["metadata", "a\uFFFDb"]],
          ["/runs/faults-text", { runId: "faults-text-never", input: [1, { deep: [bad] }] }, ["input", "1", "deep", "0"]]
        ] as const
        for (const [path, body, field] of refused) {
          const reply = yield* api.post(path, body)
          expect([reply.status, reply.body.code, reply.body.issues[0].path]).toEqual([400, "bad_request", field])
          expect(reply.body.error).toContain(field.join("."))
        }
        expect((yield* api.get("/runs/faults-text-never")).status).toBe(404)

        const runId = (yield* api.post("/runs/faults-text", {})).body.run.id
        const owner = (yield* api.post(`/runs/${runId}/begin`, undefined, { "x-tidebase-worker": "w" })).body.leaseOwner
        const stepBegin = yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h", input: bad, leaseOwner: owner })
        expect([stepBegin.status, stepBegin.body.issues[0].path]).toEqual([400, ["input"]])
        const step = (yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h", leaseOwner: owner })).body
        const output = yield* api.post(`/runs/${runId}/steps/${step.step.id}/complete`, { leaseOwner: step.leaseOwner, output: { text: bad } })
        expect([output.status, output.body.issues[0].path]).toEqual([400, ["output", "text"]])
        const stepError = yield* api.post(`/runs/${runId}/steps/${step.step.id}/fail`, { leaseOwner: step.leaseOwner, error: { message: bad } })
        expect([stepError.status, stepError.body.issues[0].path]).toEqual([400, ["error", "message"]])
        const result = yield* api.post(`/runs/${runId}/complete`, { result: bad, leaseOwner: owner })
        expect([result.status, result.body.issues[0].path]).toEqual([400, ["result"]])
        const error = yield* api.post(`/runs/${runId}/fail`, { error: bad, leaseOwner: owner })
        expect([error.status, error.body.issues[0].path]).toEqual([400, ["error"]])

        const detail = (yield* api.get(`/runs/${runId}`)).body
        expect(detail.run.status).toBe("running")
        expect(detail.steps.map((s: { status: string }) => s.status)).toEqual(["running"])
      }
      const path = yield* api.post(`/runs/${encodeURIComponent(NUL)}`, {})
      expect([path.status, path.body.issues[0].path]).toEqual([400, ["workflowName"]])
      const query = yield* api.get(`/runs?workflowName=${encodeURIComponent(NUL)}`)
      expect([query.status, query.body.issues[0].path]).toEqual([400, ["workflowName"]])
    }))

  it.effect("a run id of up to 200 characters is reachable on every route; a longer one is a 400 naming runId, at create and in paths", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const api = http(url)
      const longest = `faults-${"x".repeat(193)}`
      expect(longest).toHaveLength(200)
      expect((yield* api.post("/runs/faults-ids", { runId: longest })).status).toBe(200)
      expect((yield* api.get(`/runs/${longest}`)).body.run.id).toBe(longest)
      expect((yield* api.post(`/runs/${longest}/begin`)).status).toBe(200)
      expect((yield* api.get(`/runs/${longest}/events`, { accept: "application/json" })).body.events).toHaveLength(2)
      expect((yield* api.get(`/runs/${longest}/steps`)).status).toBe(200)

      const tooLong = `${longest}y`
      const created = yield* api.post("/runs/faults-ids", { runId: tooLong })
      expect([created.status, created.body.issues[0].path]).toEqual([400, ["runId"]])
      for (const id of [tooLong, "y".repeat(900)]) {
        const reply = yield* api.get(`/runs/${id}`)
        expect([reply.status, reply.body.code, reply.body.issues[0].path]).toEqual([400, "bad_request", ["runId"]])
      }
      const beyond = yield* api.get(`/runs/${"z".repeat(5_000)}`)
      expect([beyond.status, beyond.body.code]).toEqual([404, "not_found"])
    }))

  it.effect("a body in a content type the server does not parse is a 415, never read as empty; an empty body or a v0.6 client still works", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const api = http(url)
      const runId = (yield* api.post("/runs/faults-types", {})).body.run.id
      const owner = (yield* api.post(`/runs/${runId}/begin`, undefined, { "x-tidebase-worker": "w" })).body.leaseOwner
      for (const type of ["application/octet-stream", "text/plain", "multipart/form-data; boundary=x"]) {
        const completed = yield* raw(url, "POST", `/runs/${runId}/complete`, { "content-type": type }, JSON.stringify({ result: 1, leaseOwner: "intruder" }))
        expect([completed.status, completed.body]).toEqual([415, {
          _tag: "UnsupportedMediaType",
          error: `content-type ${type} is not supported: send the body as application/json`,
          code: "unsupported_media_type"
        }])
        const created = yield* raw(url, "POST", "/runs/faults-types", { "content-type": type }, JSON.stringify({ runId: "faults-types-never" }))
        expect(created.status).toBe(415)
      }
      expect((yield* api.get("/runs/faults-types-never")).status).toBe(404)
      expect((yield* api.get(`/runs/${runId}`)).body.run).toMatchObject({ status: "running", result: null })

      // No body at all, whatever the type; JSON without a type, and curl's -d default, are read as JSON.
      expect((yield* raw(url, "POST", "/runs/faults-types", {})).status).toBe(200)
      expect((yield* raw(url, "POST", "/runs/faults-types", { "content-type": "application/octet-stream" })).status).toBe(200)
      const curl = yield* raw(url, "POST", "/runs/faults-types", { "content-type": "application/x-www-form-urlencoded" }, `{"runId":"faults-types-curl"}`)
      expect([curl.status, curl.body.run.id]).toEqual([200, "faults-types-curl"])
      const done = yield* raw(url, "POST", `/runs/${runId}/complete`, { "content-type": "application/json; charset=utf-8" }, JSON.stringify({ result: 1, leaseOwner: owner }))
      expect([done.status, done.body.run.result]).toEqual([200, 1])
    }))

  it.effect(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is a 400; ${MAX_JSON_DEPTH} levels are stored and read back`, () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const api = http(url)
      const runId = (yield* api.post("/runs/faults-depth", {})).body.run.id
      for (const depth of [MAX_JSON_DEPTH, 3_000, 100_000]) {
        // The body's own object is a level: `result` may nest one fewer.
        const reply = yield* api.post(`/runs/${runId}/complete`, `{"result": ${nestedJson(depth)}}`)
        expect([reply.status, reply.body.code, reply.body.issues[0].path[0]]).toEqual([400, "bad_request", "result"])
        expect(reply.body.issues[0].message).toBe(`nests deeper than ${MAX_JSON_DEPTH} levels`)
      }
      const bare = yield* api.post(`/runs/${runId}/complete`, nestedJson(5_000))
      expect([bare.status, bare.body.code]).toEqual([400, "bad_request"])

      const deepest = JSON.parse(nestedJson(MAX_JSON_DEPTH - 1))
      const stored = yield* api.post(`/runs/${runId}/complete`, { result: deepest })
      expect([stored.status, stored.body.run.result]).toEqual([200, deepest])
      expect((yield* api.get(`/runs/${runId}`)).body.run.result).toEqual(deepest)
    }))

  it.effect("a non-finite number (1e400) anywhere in a body is a 400 naming the field, never stored as null", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const api = http(url)
      const runId = (yield* api.post("/runs/faults-numbers", {})).body.run.id
      for (const [body, field] of [
        [`{"result": 1e400}`, ["result"]],
        [`{"result": {"total": -1e999}}`, ["result", "total"]],
        [`{"result": [1, 2, 1e309]}`, ["result", "2"]]
      ] as const) {
        const reply = yield* api.post(`/runs/${runId}/complete`, body)
        expect([reply.status, reply.body.issues[0]]).toEqual([400, { path: field, message: "is not a finite number" }])
      }
      const created = yield* api.post("/runs/faults-numbers", `{"runId": "faults-numbers-never", "input": {"n": 1e400}}`)
      expect([created.status, created.body.issues[0].path]).toEqual([400, ["input", "n"]])
      expect((yield* api.get(`/runs/${runId}`)).body.run).toMatchObject({ status: "pending", result: null })
      expect((yield* api.get("/runs/faults-numbers-never")).status).toBe(404)
    }))

  it.effect("event positions and seqs are bigint end to end: after / Last-Event-ID at or past 2^31 answer, bad values are a 400 naming them", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const api = http(url)
      const runId = (yield* api.post("/runs/faults-cursor", {})).body.run.id
      for (const cursor of [2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
        expect((yield* api.get(`/runs/${runId}/events?after=${cursor}`, { accept: "application/json" })).body).toEqual({ events: [] })
        expect((yield* api.get(`/runs/${runId}/events`, { accept: "application/json", "last-event-id": String(cursor) })).body).toEqual({ events: [] })
        expect((yield* api.get(`/runs/${runId}/steps?after=${cursor}`)).body).toEqual({ steps: [], next: null })
        // The event stream opens (and would wait for seq cursor + 1).
        const stream = yield* Effect.promise(async () => {
          const controller = new AbortController()
          const response = await fetch(`${url}/runs/${runId}/events`, { headers: { "last-event-id": String(cursor) }, signal: controller.signal })
          const first = await response.body!.getReader().read()
          controller.abort()
          return [response.status, new TextDecoder().decode(first.value)]
        })
        expect(stream).toEqual([200, ": connected\n\n"])
      }
      for (const bad of ["-1", "1.5", "abc", "9007199254740993", "1e400"]) {
        const after = yield* api.get(`/runs/${runId}/events?after=${bad}`, { accept: "application/json" })
        expect([bad, after.status, after.body.code, after.body.issues[0].path]).toEqual([bad, 400, "bad_request", ["after"]])
        const header = yield* api.get(`/runs/${runId}/events`, { "last-event-id": bad })
        expect([bad, header.status, header.body.issues[0].path]).toEqual([bad, 400, ["last-event-id"]])
        const steps = yield* api.get(`/runs/${runId}/steps?after=${bad}`)
        expect([bad, steps.status, steps.body.issues[0].path]).toEqual([bad, 400, ["after"]])
      }
    }))

  it.effect("every answer is {error, code}: a route miss names the path, a request node cannot parse is a JSON 400", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      for (const [method, path] of [["GET", "/nope"], ["DELETE", "/runs/x"], ["POST", "/runs/x/nope"], ["GET", "/runs/%E0%A4%A"]] as const) {
        const reply = yield* raw(url, method, path, {})
        expect([method, path, reply.status, reply.type, reply.body]).toEqual([method, path, 404, "application/json", {
          _tag: "NotFound",
          error: `no route for ${method} ${path}`,
          code: "not_found"
        }])
      }
      const garbage = yield* rawSocket(url, "NOT HTTP AT ALL\r\n\r\n")
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /)
      expect(jsonBodyOf(garbage)).toMatchObject({ code: "bad_request" })
      const nulHeader = yield* rawSocket(url, "GET /health HTTP/1.1\r\nhost: x\r\nx-tidebase-worker: a\u0000b\r\n\r\n")
      expect(jsonBodyOf(nulHeader)).toMatchObject({ code: "bad_request" })
      const hugeHeaders = yield* rawSocket(url, `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${"h".repeat(20_000)}\r\n\r\n`)
      expect(hugeHeaders).toMatch(/^HTTP\/1\.1 431 /)
      expect(jsonBodyOf(hugeHeaders)).toMatchObject({ code: "headers_too_large" })
    }))
})

/** Log lines the server wrote, with their level. */
const captured: Array<{ readonly level: string; readonly message: string }> = []
const CaptureLogs = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ logLevel, message }) => {
    captured.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
  })
)

describe("a bug in the server", () => {
  layer(
    onScratchDatabase((url) => TestServerLive({}, url)).pipe(Layer.provide(CaptureLogs)),
    { excludeTestServices: true }
  )((it) => {
    it.effect("is a JSON 500 {error, code}, its cause logged once under the request's method and path", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const sql = yield* SqlClient.SqlClient
        // A read model gone missing: every read of it is a defect, not a client mistake.
        yield* sql`alter view run_read rename to run_read_gone`
        captured.length = 0
        const reply = yield* raw(url, "GET", "/runs?limit=5", {})
        expect([reply.status, reply.type, reply.body]).toEqual([500, "application/json", {
          _tag: "InternalError",
          error: "internal server error",
          code: "internal_error"
        }])
        const errors = captured.filter((l) => l.level === "ERROR")
        expect(errors.map((l) => l.message)).toEqual(["GET /runs failed"])
        yield* sql`alter view run_read_gone rename to run_read`
      }))
  })
})
