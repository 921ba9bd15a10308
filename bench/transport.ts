import { spawn } from "node:child_process"
import { measureThroughput } from "./harness.js"
import { nodeHttpClient } from "./httpClient.js"
import { rawFigures } from "./raw.js"
import type { Section } from "./section.js"
import { repoRoot, trackChild, waitForExit } from "./serverProcess.js"

export const transportFigures = { floor1: "transport.twoPosts.1", commitFloor1: "transport.postInsert.1" } as const

// Reads the JSON body and answers a small JSON object, nothing else: what any Node HTTP server pays.
const echoServer = `
  const server = require("node:http").createServer((req, res) => {
    const chunks = []
    req.on("data", (c) => chunks.push(c))
    req.on("end", () => {
      JSON.parse(Buffer.concat(chunks).toString() || "{}")
      res.setHeader("content-type", "application/json")
      res.end('{"ok":true}')
    })
  })
  server.listen(0, "127.0.0.1", () => console.log(server.address().port))
  process.on("SIGTERM", () => server.close(() => process.exit(0)))`

// Commits the body as one INSERT (the raw figures' table and statement) before answering: the least
// any HTTP checkpoint server does, with no decision, event or projection.
const commitServer = `
  const pg = require("pg")
  const pool = new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: 4 })
  const server = require("node:http").createServer((req, res) => {
    const chunks = []
    req.on("data", (c) => chunks.push(c))
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString()
      JSON.parse(body)
      pool.query({ name: "bench_insert", text: "insert into bench_raw (v) values ($1)", values: [body] }).then(() => {
        res.setHeader("content-type", "application/json")
        res.end('{"action":"recorded"}')
      }, (error) => {
        res.statusCode = 500
        res.end(String(error))
      })
    })
  })
  server.listen(0, "127.0.0.1", () => console.log(server.address().port))
  process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))))`

const startScriptServer = (script: string, env: Record<string, string> = {}) =>
  new Promise<{ url: string; stop: () => Promise<void> }>((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, ["-e", script], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"]
    }))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`floor server exited with ${code}`)))
    child.stdout!.once("data", (port: Buffer) =>
      resolve({
        url: `http://127.0.0.1:${port.toString().trim()}`,
        stop: async () => {
          child.kill("SIGTERM")
          if (!(await waitForExit(child, 2_000))) child.kill("SIGKILL")
        }
      }))
  })

/** `op` back-to-back from one client against a server started from `script`. */
const floor = async (
  context: Parameters<Section["run"]>[0],
  script: string,
  op: (client: ReturnType<typeof nodeHttpClient>) => Promise<unknown>
) => {
  const server = await startScriptServer(script, { BENCH_DATABASE_URL: context.env.databaseUrl })
  const client = nodeHttpClient(server.url)
  try {
    return await measureThroughput(1, async () => undefined, async () => {
      await op(client)
    }, context.measure)
  } finally {
    client.close()
    await server.stop()
  }
}

/**
 * The ceilings any Node HTTP server has on this machine: a checkpoint's two POSTs against a
 * server process that does nothing, and one POST whose server commits one INSERT before it
 * answers (client, server and Postgres taking turns on the same cores). Ours can only approach them.
 */
export const transportSection: Section = {
  name: "HTTP transport floor",
  run: async (context) => {
    const body = { leaseOwner: "lease_bench", output: { ok: true } }
    const twoPosts = await floor(context, echoServer, async (client) => {
      await client.post("/begin", body)
      await client.post("/complete", body)
    })
    const postInsert = await floor(context, commitServer, (client) => client.post("/checkpoint", body))
    return {
      figures: [
        { key: transportFigures.floor1, label: "2 POSTs to a no-op node:http server", clients: 1, throughput: twoPosts },
        { key: transportFigures.commitFloor1, label: "POST to a node:http server that commits 1 INSERT", clients: 1, throughput: postInsert }
      ]
    }
  },
  ratios: [
    { label: "no-op 2 POSTs / raw INSERT, 1 client", numerator: transportFigures.floor1, denominator: rawFigures.insert1 },
    { label: "POST + INSERT server / raw INSERT, 1 client", numerator: transportFigures.commitFloor1, denominator: rawFigures.insert1 }
  ]
}
