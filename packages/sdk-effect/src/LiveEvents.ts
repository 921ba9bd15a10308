import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { Event } from "@tidebase/api"
import { Effect, Stream } from "effect"

/**
 * A run's events after `after`, as the server streams them (Server-Sent Events: history, then
 * live as they are appended). The stream ends when the connection does; callers that must not
 * miss anything resume from the last seq they saw. `types` asks the server for those types only.
 */
export const followEvents = (client: HttpClient.HttpClient, baseUrl: string) =>
(runId: string, after: number, types?: ReadonlyArray<string>) =>
  client.execute(
    HttpClientRequest.get(`${baseUrl}/runs/${encodeURIComponent(runId)}/events`, {
      urlParams: types === undefined ? { after: String(after) } : { after: String(after), types: types.join(",") },
      headers: { accept: "text/event-stream" }
    })
  ).pipe(
    Effect.flatMap(HttpClientResponse.filterStatusOk),
    Effect.map((response) => response.stream),
    Stream.unwrapScoped,
    Stream.decodeText(),
    Stream.splitLines,
    Stream.filter((line) => line.startsWith("data: ")),
    Stream.map((line) => JSON.parse(line.slice(6)) as Event)
  )
