import { expect } from "@effect/vitest"
import { Tidebase, TidebaseRequestError } from "@tidebase/sdk"
import { Effect, Option, Redacted } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"
import { eventsOfType, newRunId, rejection, throughProxy } from "./Harness.js"
import { closedPort, startHttpServer } from "../../../test/Proxy.js"
import type { Proxy } from "../../../test/Proxy.js"

const messageOf = (error: unknown) => (error as Error).message

/** What an SDK error message must never be: a dump of the Schema or the HTTP client's internals. */
const expectNoDump = (message: string) => {
  for (const internal of ["ParseError", "HttpApiDecodeError", "Expected", "└─", "Transport error", "RequestError"]) {
    expect(message).not.toContain(internal)
  }
}

serverSuite("@tidebase/sdk transport", (it) => {
  it.effect("a write whose answer is lost is sent again and leaves exactly one run and one checkpoint per step", () =>
    throughProxy(async (tide, proxy, direct) => {
      const workflowName = `lost-answers-${crypto.randomUUID()}`
      const post = (pattern: RegExp) => (method: string, path: string) => method === "POST" && pattern.test(path)
      // The begin creates the run (one request): losing its answer is losing the create's.
      proxy.loseAnswers(post(/^\/runs\/[^/]+\/begin$/))
      proxy.loseAnswers(post(/\/steps\/checkpoint$/))
      proxy.loseAnswers(post(/\/steps\/begin$/))
      proxy.loseAnswers(post(/\/steps\/[^/]+\/complete$/))
      proxy.loseAnswers(post(/^\/runs\/[^/]+\/complete$/))
      const executed = { plan: 0, charge: 0 }

      const result = await tide.run(workflowName, {}, async (run) => {
        const plan = await run.step("plan", () => (executed.plan++, "outline"))
        const charge = await run.step("charge", { sideEffects: ["stripe"], idempotencyKey: "charge-1" }, () => (executed.charge++, 42))
        return { plan, charge }
      })

      expect(result).toEqual({ plan: "outline", charge: 42 })
      expect(executed).toEqual({ plan: 1, charge: 1 })
      expect(proxy.log.filter((r) => r.outcome === "answer lost")).toHaveLength(5)
      const runs = await direct.runs.list({ workflowName })
      expect(runs).toHaveLength(1)
      const detail = await direct.runs.get(runs[0]!.id)
      expect(detail.run.status).toBe("completed")
      expect(detail.steps.map((s) => [s.name, s.status, s.output])).toEqual([["plan", "completed", "outline"], ["charge", "completed", 42]])
      expect(eventsOfType(detail.events, "step.completed").map((e) => e.name)).toEqual(["plan", "charge"])
      expect(eventsOfType(detail.events, "run.completed")).toHaveLength(1)
    }))

  it.effect("the server going away and coming back, or answering 503 meanwhile, does not fail a running workflow", () =>
    throughProxy(async (tide, proxy, direct) => {
      const runId = newRunId("restart")
      const executed: Array<string> = []
      const result = await tide.run("restarting", { runId }, async (run) => {
        const before = await run.step("before", () => (executed.push("before"), 1))
        await proxy.down()
        setTimeout(() => void proxy.up(), 1_500)
        const during = await run.step("during", () => (executed.push("during"), 2))
        proxy.setUnavailable(true)
        setTimeout(() => proxy.setUnavailable(false), 1_000)
        const gated = await run.step("gated", { sideEffects: ["email"], idempotencyKey: "mail-1" }, () => (executed.push("gated"), 3))
        return before + during + gated
      })

      expect(result).toBe(6)
      expect(executed).toEqual(["before", "during", "gated"])
      expect(proxy.log.some((r) => r.outcome === "503")).toBe(true)
      const detail = await direct.runs.get(runId)
      expect(detail.run.status).toBe("completed")
      expect(detail.steps.map((s) => [s.name, s.status])).toEqual([["before", "completed"], ["during", "completed"], ["gated", "completed"]])
      expect(eventsOfType(detail.events, "step.completed")).toHaveLength(3)
    }))

  it.effect("a refused connection names TIDEBASE_URL and the URL tried, after retrying for retryTransportForMs", () =>
    Effect.promise(async () => {
      const url = `http://127.0.0.1:${await closedPort()}`
      const tide = new Tidebase({ url, retryTransportForMs: 400 })
      try {
        const started = Date.now()
        const error = await rejection(() => tide.run("nowhere", { runId: newRunId() }, () => "never"))
        expect(Date.now() - started).toBeGreaterThanOrEqual(300)
        expect(error).toBeInstanceOf(TidebaseRequestError)
        expect(error).toMatchObject({ name: "TidebaseRequestError" })
        const message = messageOf(error)
        expect(message).toContain("TIDEBASE_URL")
        expect(message).toContain(url)
        expect(message).toContain("ECONNREFUSED")
        expectNoDump(message)
      } finally {
        await tide.close()
      }
    }))

  it.effect("an answer that is not Tidebase's asks whether this is a Tidebase server instead of dumping a Schema error", () =>
    Effect.promise(async () => {
      const html = await startHttpServer((_, res) => {
        res.writeHead(200, { "content-type": "text/html" })
        res.end("<html><body>Welcome to nginx!</body></html>")
      })
      const json = await startHttpServer((_, res) => {
        res.writeHead(404, { "content-type": "application/json" })
        res.end(JSON.stringify({ message: "Not Found" }))
      })
      try {
        for (const server of [html, json]) {
          const tide = new Tidebase({ url: server.url, retryTransportForMs: 0 })
          try {
            const error = await rejection(() => tide.run("elsewhere", { runId: newRunId() }, () => "never"))
            expect(error).toBeInstanceOf(TidebaseRequestError)
            const message = messageOf(error)
            expect(message).toContain(`is this a Tidebase server? GET ${server.url}/health`)
            expectNoDump(message)
          } finally {
            await tide.close()
          }
        }
      } finally {
        await Promise.all([html.close(), json.close()])
      }
    }))

  it.effect("a server that never answers fails the request after requestTimeoutMs instead of waiting forever", () =>
    Effect.promise(async () => {
      const silent = await startHttpServer(() => {})
      const tide = new Tidebase({ url: silent.url, requestTimeoutMs: 300, retryTransportForMs: 0 })
      try {
        const started = Date.now()
        const error = await rejection(() => tide.run("silent", { runId: newRunId() }, () => "never"))
        expect(Date.now() - started).toBeLessThan(5_000)
        expect(error).toBeInstanceOf(TidebaseRequestError)
        expect(messageOf(error)).toContain("TIDEBASE_REQUEST_TIMEOUT_MS")
        expectNoDump(messageOf(error))
      } finally {
        await tide.close()
        await silent.close()
      }
    }))
})

serverSuite("@tidebase/sdk transport with an API key", (it) => {
  it.effect("a 401 names TIDEBASE_API_KEY, whether the key is missing or wrong", () =>
    Effect.flatMap(TestServer, ({ url }) =>
      Effect.promise(async () => {
        for (const [apiKey, says] of [[undefined, "requires an API key"], ["wrong", "refused the API key"]] as const) {
          const tide = new Tidebase({ url, ...(apiKey === undefined ? {} : { apiKey }) })
          try {
            const error = await rejection(() => tide.run("locked-out", { runId: newRunId() }, () => "never"))
            expect(error).toBeInstanceOf(TidebaseRequestError)
            const message = messageOf(error)
            expect(message).toContain("TIDEBASE_API_KEY")
            expect(message).toContain(says)
            expect(message).toContain("401")
            expectNoDump(message)
          } finally {
            await tide.close()
          }
        }
        const allowed = new Tidebase({ url, apiKey: "test-key" })
        try {
          expect(await allowed.run("let-in", { runId: newRunId() }, (run) => run.step("ok", () => "yes"))).toBe("yes")
        } finally {
          await allowed.close()
        }
      })))
}, { apiKey: Option.some(Redacted.make("test-key")) })
