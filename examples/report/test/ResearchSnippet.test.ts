import { expect } from "@effect/vitest"
import { Tidebase } from "@tidebase/sdk"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const snippet = fileURLToPath(new URL("../src/research-snippet.ts", import.meta.url))

const runSnippet = (env: Record<string, string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    execFile(process.execPath, ["--import", "tsx", snippet], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr })))
  })

interface WireEvent {
  readonly seq: number
  readonly type: string
  readonly payload: Record<string, any>
}

/** An SSE reader of the run's events, live from its first event until `run.completed` (or 30 s). */
const readEventStream = (url: string, runId: string) => {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 30_000)
  const events = (async () => {
    const response = await fetch(`${url}/runs/${runId}/events`, { headers: { accept: "text/event-stream" }, signal: abort.signal })
    const seen: Array<WireEvent> = []
    const decoder = new TextDecoder()
    let buffer = ""
    try {
      const reader = response.body!.getReader()
      while (true) {
        const chunk = await reader.read()
        if (chunk.done) break
        buffer += decoder.decode(chunk.value, { stream: true })
        let end: number
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const message = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = message.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n")
          if (data === "") continue
          const event = JSON.parse(data) as WireEvent
          seen.push(event)
          if (event.type === "run.completed") return seen
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error
    } finally {
      clearTimeout(timer)
      abort.abort()
    }
    return seen
  })()
  return events
}

serverSuite("examples/report research snippet", (it) => {
  it.effect("the seed's research-agent snippet runs as written and its state shows in GET /runs/:id and on the SSE stream", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const runId = `research-${crypto.randomUUID()}`
      const tide = new Tidebase({ url })
      // The run exists before the snippet starts, so a reader can follow it live from its first event.
      yield* Effect.promise(() => tide.runs.create("research-agent", { runId, input: { question: "how do tides work" } }))
      const streamed = readEventStream(url, runId)

      const ran = yield* runSnippet({ TIDEBASE_URL: url, TIDEBASE_RUN_ID: runId })
      expect(ran.stderr).toBe("")
      expect(ran.code).toBe(0)
      expect(ran.stdout).toContain(`run ${runId} completed`)

      const events = yield* Effect.promise(() => streamed)
      const detail = yield* Effect.promise(() => tide.runs.get(runId))
      yield* Effect.promise(() => tide.close())

      expect(detail.run.status).toBe("completed")
      expect(detail.steps.map((s) => s.name)).toEqual(["plan", "search", "draft", "finalize"])
      expect(detail.state).toMatchObject({ runId, stream: `run:${runId}`, version: 1, value: { status: "reviewing", progress: 0.9 } })
      expect(detail.stateStreams.map((s) => [s.name, s.currentVersion, s.currentValue])).toEqual([
        [`run:${runId}`, 1, { status: "reviewing", progress: 0.9 }]
      ])
      expect(detail.stateVersions.map((v) => [v.version, v.value])).toEqual([[1, { status: "reviewing", progress: 0.9 }]])

      // The SSE reader saw the state change live, between draft's checkpoint and finalize's.
      const types = events.map((e) => e.type)
      expect(types.filter((t) => t.startsWith("step.completed") || t.startsWith("state."))).toEqual([
        "step.completed",
        "step.completed",
        "step.completed",
        "state.updated",
        "step.completed"
      ])
      const updated = events.find((e) => e.type === "state.updated")!
      expect(updated.payload).toMatchObject({
        stream: `run:${runId}`,
        value: { status: "reviewing", progress: 0.9 },
        stateVersion: { version: 1, value: { status: "reviewing", progress: 0.9 }, label: null }
      })
      expect(events.map((e) => e.seq)).toEqual(detail.events.map((e) => e.seq))
    }))
})
