import { describe, expect, it } from "@effect/vitest"
import { inject } from "vitest"
import { runCli } from "../../../test/Cli.js"
import { createScratchDatabase } from "../../../test/TestDatabase.js"

interface LogLine {
  readonly time: string
  readonly level: string
  readonly msg: string
  readonly [field: string]: unknown
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Requests a person would make against a fresh server, one of them an event stream opened and closed. */
const traffic = async (url: string) => {
  await fetch(`${url}/health`)
  await fetch(`${url}/nope`)
  const { run } = await (await fetch(`${url}/runs/logged`, { method: "POST" })).json()
  const controller = new AbortController()
  const stream = await fetch(`${url}/runs/${run.id}/events?token=secret-token`, { signal: controller.signal })
  await stream.body!.getReader().read()
  controller.abort()
  await sleep(300)
  return run.id as string
}

describe("the access log", () => {
  it("TIDEBASE_LOG=json: one JSON line per request (method, path without its query, status, ms), an event stream at open and close", async () => {
    const db = await createScratchDatabase(inject("databaseUrl"))
    try {
      let runId = ""
      const env = { DATABASE_URL: db.url, PORT: "0", TIDEBASE_LOG: "json" }
      const result = await runCli(["start"], env, /listening on/, async (stdout) => {
        const start = stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as LogLine).find((l) => l.msg.startsWith("Tidebase listening"))!
        runId = await traffic(start["url"] as string)
      })
      expect(result.code).toBe(0)
      const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l) as LogLine)
      const access = lines.filter((l) => "status" in l).map(({ level, method, ms, path, status, event }) => {
        expect(typeof ms).toBe("number")
        return { level, method, path, status, ...(event === undefined ? {} : { event }) }
      })
      expect(access).toEqual([
        { level: "INFO", method: "GET", path: "/health", status: 200 },
        { level: "INFO", method: "GET", path: "/nope", status: 404 },
        { level: "INFO", method: "POST", path: "/runs/logged", status: 200 },
        { level: "INFO", method: "GET", path: `/runs/${runId}/events`, status: 200, event: "open" },
        { level: "INFO", method: "GET", path: `/runs/${runId}/events`, status: 200, event: "close" }
      ])
      expect(result.stdout).not.toContain("secret-token")
      expect(result.stderr).toBe("")
    } finally {
      await db.close()
    }
  })

  it("by default: one text line per request, `METHOD path status Nms`", async () => {
    const db = await createScratchDatabase(inject("databaseUrl"))
    try {
      const result = await runCli(["start"], { DATABASE_URL: db.url, PORT: "0" }, /listening on/, async (stdout) => {
        await traffic(/listening on (http:\/\/\S+)/.exec(stdout)![1]!)
      })
      expect(result.code).toBe(0)
      const access = result.stdout.split("\n").filter((l) => / (GET|POST) /.test(l)).map((l) => l.replace(/^\S+ INFO +/, ""))
      expect(access.map((l) => l.replace(/\/runs\/run_\w+/, "/runs/:id").replace(/ \d+ms$/, " Nms"))).toEqual([
        "GET /health 200 Nms",
        "GET /nope 404 Nms",
        "POST /runs/logged 200 Nms",
        "GET /runs/:id/events 200 open Nms",
        "GET /runs/:id/events 200 close Nms"
      ])
    } finally {
      await db.close()
    }
  })

  it("a long run's detail, written in pieces, is one line per read like any answer; only an event stream opens and closes", async () => {
    const db = await createScratchDatabase(inject("databaseUrl"))
    try {
      const post = (url: string, body: unknown) =>
        fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json())
      const result = await runCli(["start"], { DATABASE_URL: db.url, PORT: "0" }, /listening on/, async (stdout) => {
        const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!
        const { run } = await post(`${url}/runs/long-logged`, {})
        const { leaseOwner } = await post(`${url}/runs/${run.id}/begin`, {})
        // Past the 1,000 events from which a run's detail is held rendered and sent in pieces.
        for (let i = 0; i < 520; i++) await post(`${url}/runs/${run.id}/steps/checkpoint`, { name: `s${i}`, inputHash: `h${i}`, output: i, leaseOwner })
        for (let i = 0; i < 2; i++) expect((await (await fetch(`${url}/runs/${run.id}`)).json()).steps).toHaveLength(520)
      })
      expect(result.code).toBe(0)
      const reads = result.stdout.split("\n").filter((l) => / GET \/runs\/run_\w+ /.test(l)).map((l) => l.replace(/^\S+ INFO +GET \S+ /, "").replace(/ \d+ms$/, " Nms"))
      expect(reads).toEqual(["200 Nms", "200 Nms"])
    } finally {
      await db.close()
    }
  }, 120_000)
})
