import { describe, expect, it } from "@effect/vitest"
import { ServerConfig } from "@tidebase/server"
import { ConfigProvider, Effect } from "effect"
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { request } from "node:http"
import { createServer } from "node:net"
import os from "node:os"
import path from "node:path"
import { inject } from "vitest"
import { runCli } from "../../../test/Cli.js"
import { createScratchDatabase } from "../../../test/TestDatabase.js"

const hostFor = (env: Record<string, string>) =>
  Effect.runSync(Effect.withConfigProvider(Effect.map(ServerConfig, (c) => c.host), ConfigProvider.fromMap(new Map(Object.entries(env)))))

const listeningPort = () =>
  new Promise<{ readonly port: number; readonly close: () => void }>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve({ port: typeof address === "object" && address !== null ? address.port : 0, close: () => server.close() })
    })
  })

/** A start-up failure is one line naming the cause and the fix, not a stack trace. */
const expectOneLine = (stderr: string, message: string) => {
  expect(stderr.trim()).toBe(`tidebase: ${message}`)
}

describe("start-up", () => {
  it("HOST defaults to 127.0.0.1, to all interfaces when an API key is set, and is whatever HOST says when given", () => {
    expect(hostFor({})).toBe("127.0.0.1")
    expect(hostFor({ TIDEBASE_API_KEY: "k" })).toBe("0.0.0.0")
    expect(hostFor({ HOST: "" })).toBe("127.0.0.1")
    expect(hostFor({ HOST: "0.0.0.0" })).toBe("0.0.0.0")
    expect(hostFor({ HOST: "127.0.0.1", TIDEBASE_API_KEY: "k" })).toBe("127.0.0.1")
  })

  it("the start line prints the address the server really listens on and whether auth is on", async () => {
    const db = await createScratchDatabase(inject("databaseUrl"))
    try {
      const open = await runCli(["start"], { DATABASE_URL: db.url, PORT: "0" }, /listening on/)
      expect(open.stdout).toMatch(/Tidebase listening on http:\/\/127\.0\.0\.1:\d+ \(auth off: set TIDEBASE_API_KEY to require a key\)/)
      let health = 0
      const keyed = await runCli(["start"], { DATABASE_URL: db.url, PORT: "0", TIDEBASE_API_KEY: "sekret" }, /listening on/, async (stdout) => {
        const port = /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(stdout)![1]
        health = (await fetch(`http://127.0.0.1:${port}/health`)).status
      })
      expect(keyed.stdout).toMatch(/Tidebase listening on http:\/\/0\.0\.0\.0:\d+ \(auth on: every route but \/health needs the API key\)/)
      expect(keyed.stdout).not.toContain("sekret")
      expect(health).toBe(200)
    } finally {
      await db.close()
    }
  })

  it("a port in use stops start-up with `port N is in use; … set PORT`", async () => {
    const db = await createScratchDatabase(inject("databaseUrl"))
    const taken = await listeningPort()
    try {
      const result = await runCli(["start"], { DATABASE_URL: db.url, PORT: String(taken.port), HOST: "127.0.0.1" })
      expect(result.code).toBe(1)
      expectOneLine(result.stderr, `port ${taken.port} is in use; stop the other process or set PORT`)
    } finally {
      taken.close()
      await db.close()
    }
  })

  it("a DATABASE_URL that does not answer stops start-up naming it (without its password) and the fix", async () => {
    const result = await runCli(["start"], { DATABASE_URL: "postgres://postgres:hunter2@127.0.0.1:1/nowhere", PORT: "0" })
    expect(result.code).toBe(1)
    expectOneLine(
      result.stderr,
      "could not connect to DATABASE_URL postgres://postgres@127.0.0.1:1/nowhere: connect ECONNREFUSED 127.0.0.1:1; " +
        "start that Postgres or fix DATABASE_URL, or unset it to use the embedded one"
    )
    expect(result.stdout + result.stderr).not.toContain("hunter2")
  })

  it("a data dir another server holds stops start-up naming it, with `stop the other server or set TIDEBASE_DATA_DIR`", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "tidebase-held-"))
    chmodSync(dataDir, 0o755)
    try {
      const env = { TIDEBASE_DATA_DIR: dataDir, PORT: "0", DATABASE_URL: "" }
      let second: Awaited<ReturnType<typeof runCli>> | undefined
      const first = await runCli(["start"], env, /listening on/, async () => {
        second = await runCli(["start"], env)
      })
      expect(first.code).toBe(0)
      expect(second!.code).toBe(1)
      expect(second!.stderr.trim()).toMatch(
        new RegExp(`^tidebase: another process \\(Postgres pid \\d+\\) holds the embedded data dir ${dataDir}: stop the other server or set TIDEBASE_DATA_DIR$`)
      )
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it("a request that connects while the server is starting is answered, never left hanging", async () => {
    const db = await createScratchDatabase(inject("databaseUrl"))
    const free = await listeningPort()
    free.close()
    const port = free.port
    const outcomes = { refused: 0, answered: 0, hung: 0 }
    let probing = true
    /** A fresh connection every few ms from spawn on: refused until the server listens, then each must get an answer. */
    const probe = () =>
      new Promise<void>((resolve) => {
        const req = request({ host: "127.0.0.1", port, path: "/health", agent: false }, (response) => {
          outcomes.answered++
          response.resume()
          resolve()
        })
        req.setTimeout(10_000, () => {
          outcomes.hung++
          req.destroy()
          resolve()
        })
        req.on("error", () => {
          outcomes.refused++
          resolve()
        })
        req.end()
      })
    const prober = (async () => {
      const inFlight: Array<Promise<void>> = []
      while (probing) {
        inFlight.push(probe())
        await new Promise((r) => setTimeout(r, 3))
      }
      await Promise.all(inFlight)
    })()
    try {
      const result = await runCli(["start"], { DATABASE_URL: db.url, PORT: String(port), HOST: "127.0.0.1" }, /listening on/, async () => {
        while (outcomes.answered < 50) await new Promise((r) => setTimeout(r, 10))
        probing = false
        await prober
      })
      expect(result.code).toBe(0)
      expect(outcomes.refused).toBeGreaterThan(0)
      expect(outcomes.hung).toBe(0)
    } finally {
      probing = false
      await db.close()
    }
  })
})
