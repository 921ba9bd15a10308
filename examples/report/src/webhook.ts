import { Tidebase } from "@tidebase/sdk"
import { createServer } from "node:http"
import { generateReport } from "./workflow.js"

/**
 * The app's side of a recovery webhook: a server that mounts `tide.webhook()`. When a run fails,
 * the Tidebase server posts a signed `run.resume` here and the registered workflow is re-invoked
 * with the same run id: completed steps replay, the rest runs.
 */
const url = process.env.TIDEBASE_URL ?? "http://localhost:7373"
const port = Number(process.env.WEBHOOK_PORT ?? "7474")
const tide = new Tidebase({ url }) // TIDEBASE_WEBHOOK_SECRET, when set, is checked on every call

const workflow = generateReport({ failWrite: false })
tide.workflow("generate-report", async (run, input: { topic: string }) => {
  const report = await workflow(run, input)
  console.log(`run ${run.runId} resumed: replayed ${run.replayed.join(", ") || "(none)"}; completed`)
  return report
})
const handle = tide.webhook()

const server = createServer((request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", async () => {
    const body = Buffer.concat(chunks)
    console.log(`${request.method} ${request.url}: ${body.toString("utf8")}`)
    const answer = await handle(new Request(`http://localhost${request.url}`, {
      method: request.method ?? "POST",
      headers: request.headers as Record<string, string>,
      ...(request.method === "POST" ? { body } : {})
    }))
    response.writeHead(answer.status, { "content-type": "application/json" })
    response.end(await answer.text())
  })
})
server.listen(port, "127.0.0.1", () => {
  const address = server.address()
  const listening = typeof address === "object" && address !== null ? address.port : port
  console.log(`recovery webhook listening on http://127.0.0.1:${listening}/tidebase`)
})
