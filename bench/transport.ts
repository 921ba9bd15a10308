import { spawn } from "node:child_process"
import { measureThroughput } from "./harness.js"
import { nodeHttpClient } from "./httpClient.js"
import { rawFigures } from "./raw.js"
import type { Section } from "./section.js"
import { trackChild, waitForExit } from "./serverProcess.js"

export const transportFigures = { floor1: "transport.twoPosts.1" } as const

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

const startEchoServer = () =>
  new Promise<{ url: string; stop: () => Promise<void> }>((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, ["-e", echoServer], { stdio: ["ignore", "pipe", "inherit"] }))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`echo server exited with ${code}`)))
    child.stdout!.once("data", (port: Buffer) =>
      resolve({
        url: `http://127.0.0.1:${port.toString().trim()}`,
        stop: async () => {
          child.kill("SIGTERM")
          if (!(await waitForExit(child, 2_000))) child.kill("SIGKILL")
        }
      }))
  })

/**
 * The ceiling any Node HTTP server has on this machine: a checkpoint's two POSTs against a
 * server process that does nothing. Ours can only approach it.
 */
export const transportSection: Section = {
  name: "HTTP transport floor",
  run: async (context) => {
    const server = await startEchoServer()
    const client = nodeHttpClient(server.url)
    try {
      const body = { leaseOwner: "lease_bench", output: { ok: true } }
      const throughput = await measureThroughput(1, async () => undefined, async () => {
        await client.post("/begin", body)
        await client.post("/complete", body)
      }, context.measure)
      return { figures: [{ key: transportFigures.floor1, label: "2 POSTs to a no-op node:http server", clients: 1, throughput }] }
    } finally {
      client.close()
      await server.stop()
    }
  },
  ratios: [
    { label: "no-op 2 POSTs / raw INSERT, 1 client", numerator: transportFigures.floor1, denominator: rawFigures.insert1 }
  ]
}
