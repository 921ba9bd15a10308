import { expect } from "@effect/vitest"
import { Effect } from "effect"

export interface SseMessage {
  readonly id: string
  readonly data: { readonly seq: number; readonly type: string; readonly runId: string; readonly payload: any }
}

/** Reads Server-Sent Events until `count` messages arrived, then hangs up. */
export const readSse = (url: string, count: number, headers: Record<string, string> = {}) =>
  readSseUntil(url, (messages) => messages.length >= count, headers).pipe(Effect.timeout("10 seconds"))

/** Reads Server-Sent Events until `done` says so (asked after each message), then hangs up. */
export const readSseUntil = (url: string, done: (messages: ReadonlyArray<SseMessage>) => boolean, headers: Record<string, string> = {}) =>
  Effect.promise(async (signal) => {
    const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal })
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    const messages: Array<SseMessage> = []
    let buffer = ""
    while (!done(messages)) {
      const chunk = await reader.read()
      if (chunk.done) break
      buffer += decoder.decode(chunk.value, { stream: true })
      let end: number
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const id = /^id: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (id !== undefined && data !== undefined) {
          messages.push({ id, data: JSON.parse(data) })
          if (done(messages)) break
        }
      }
    }
    await reader.cancel()
    return messages
  })
