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
})
