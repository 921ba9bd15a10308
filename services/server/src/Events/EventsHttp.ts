import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as Api from "@tidebase/api"
import { Effect, Ref, Schedule, Stream } from "effect"
import { EventStore } from "../EventStore/EventStore.js"
import { pathOf } from "../Http/AccessLog.js"
import { GlobalFeed } from "./GlobalFeed.js"
import { LiveEvents } from "./LiveEvents.js"
import { RunQueries } from "../Runs/RunQueries.js"
import { toWireEvent } from "./WireEvent.js"

const encoder = new TextEncoder()

/** A missed notification costs at most this much latency (a lost listener catches up as soon as it is back). */
const POLL_INTERVAL = "2 seconds"
const KEEPALIVE_INTERVAL = "15 seconds"

export const EventsHttp = HttpApiBuilder.group(Api.TidebaseApi, "events", (handlers) =>
  Effect.gen(function*() {
    const events = yield* EventStore
    const live = yield* LiveEvents
    const queries = yield* RunQueries
    const feed = yield* GlobalFeed

    /**
     * History after `after`, then every new event as it is appended, in seq order, each once; with
     * `types`, only those, and a move known to hold none of them costs no read.
     */
    const follow = (runId: string, after: number, types: ReadonlySet<string> | undefined) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const moved = yield* live.subscribe("run", runId)
        const last = yield* Ref.make(after)
        const fetchNew = Effect.gen(function*() {
          const batch = yield* events.readStream("run", runId, yield* Ref.get(last))
          if (batch.length > 0) yield* Ref.set(last, batch[batch.length - 1]!.seq)
          return batch
        })
        const wakeups = Stream.merge(
          Stream.fromQueue(moved).pipe(
            Stream.filter((m) => types === undefined || m.types === undefined || m.types.some((t) => types.has(t)))
          ),
          Stream.fromSchedule(Schedule.spaced(POLL_INTERVAL))
        )
        return Stream.concat(Stream.succeed(undefined), wakeups).pipe(
          Stream.mapEffect(() => fetchNew),
          Stream.flattenIterables,
          Stream.filter((e) => types === undefined || types.has(toWireEvent(e).type)),
          Stream.map((e) => `id: ${e.seq}\ndata: ${JSON.stringify(toWireEvent(e))}\n\n`)
        )
      }))

    const typesOf = (param: string | undefined) => param === undefined ? undefined : new Set(param.split(",").map((t) => t.trim()))
    const wantsJson = (request: HttpServerRequest.HttpServerRequest) => {
      const accept = request.headers["accept"] ?? ""
      return accept.includes("application/json") && !accept.includes("text/event-stream")
    }

    /** SSE: a comment at once (the client knows it is connected), then the events, with keepalives. */
    const sse = (request: HttpServerRequest.HttpServerRequest, frames: Stream.Stream<string>) => {
      const body = Stream.merge(
        frames,
        Stream.fromSchedule(Schedule.spaced(KEEPALIVE_INTERVAL)).pipe(Stream.map(() => ": keepalive\n\n")),
        { haltStrategy: "left" }
      ).pipe(
        Stream.map((text) => encoder.encode(text)),
        // Headers are out by now: a defect ends the stream (the client reconnects), logged once.
        Stream.catchAllCause((cause) =>
          Stream.drain(Stream.fromEffect(Effect.logError(`${request.method} ${pathOf(request.url)} event stream failed`, cause))))
      )
      return HttpServerResponse.stream(Stream.concat(Stream.succeed(encoder.encode(": connected\n\n")), body), {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
      })
    }

    return handlers.handle("feed", ({ headers, urlParams }) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const after = Math.max(urlParams.after ?? 0, headers["last-event-id"] ?? 0)
        const types = typesOf(urlParams.types)
        const wanted = (e: { readonly type: string }) => types === undefined || types.has(e.type)
        if (wantsJson(request)) {
          const { events, next } = yield* feed.page(after, urlParams.limit ?? 1_000)
          return { events: events.filter(wanted), next }
        }
        return sse(
          request,
          feed.follow(after).pipe(
            Stream.filter(wanted),
            Stream.map((e) => `id: ${e.position}\ndata: ${JSON.stringify(e)}\n\n`)
          )
        )
      })
    ).handle("list", ({ headers, path, urlParams }) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (!(yield* queries.exists(path.runId))) {
          return yield* Api.RunNotFound.of(path.runId)
        }
        const after = Math.max(urlParams.after ?? 0, headers["last-event-id"] ?? 0)
        const types = typesOf(urlParams.types)
        if (wantsJson(request)) {
          const log = (yield* events.readStream("run", path.runId, after, urlParams.limit)).map(toWireEvent)
          return { events: types === undefined ? log : log.filter((e) => types.has(e.type)) }
        }
        return sse(request, follow(path.runId, after, types))
      })
    )
  })
)
