import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { Event } from "@tidebase/api"
import { Effect, Stream } from "effect"

/** Reconnecting after a dropped stream waits this long first. */
const RECONNECT_DELAY = "500 millis"

/** What a subscription follows: one run's events (cursor: seq), or every run's (`"all"`, cursor: position). */
export type EventsTarget = string

export interface SubscribeOptions {
  /** Only events after this cursor: a seq for one run, a position for `"all"` (default 0: from the start). */
  readonly after?: number
  /** Only events of these types. */
  readonly types?: ReadonlyArray<string>
}

const sse = (client: HttpClient.HttpClient, url: string, after: number, types: ReadonlyArray<string> | undefined) =>
  client.execute(
    HttpClientRequest.get(url, {
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

const urlOf = (baseUrl: string, target: EventsTarget) => target === "all" ? `${baseUrl}/events` : `${baseUrl}/runs/${encodeURIComponent(target)}/events`

/**
 * A run's events after `after`, as the server streams them (Server-Sent Events: history, then
 * live as they are appended). The stream ends when the connection does; callers that must not
 * miss anything resume from the last seq they saw. `types` asks the server for those types only.
 */
export const followEvents = (client: HttpClient.HttpClient, baseUrl: string) =>
(runId: string, after: number, types?: ReadonlyArray<string>) => sse(client, urlOf(baseUrl, runId), after, types)

/**
 * Events of one run or of all (`"all"`), for as long as the stream is read: a dropped connection
 * is opened again after the last event seen, so each event comes once, in order.
 */
export const subscribeEvents = (client: HttpClient.HttpClient, baseUrl: string) =>
(target: EventsTarget, options: SubscribeOptions = {}): Stream.Stream<Event> =>
  Stream.suspend(() => {
    let last = options.after ?? 0
    const cursorOf = (e: Event) => (target === "all" ? e.position : e.seq)
    const connection = Stream.suspend(() => sse(client, urlOf(baseUrl, target), last, options.types)).pipe(
      Stream.tap((e) => Effect.sync(() => { last = cursorOf(e) })),
      Stream.catchAll(() => Stream.empty)
    )
    return Stream.concat(connection, Stream.fromEffect(Effect.sleep(RECONNECT_DELAY)).pipe(Stream.drain)).pipe(Stream.forever)
  })
