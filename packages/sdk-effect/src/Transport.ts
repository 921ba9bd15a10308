import { FetchHttpClient, HttpClient, HttpClientError } from "@effect/platform"
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Duration, Effect, Layer, Schedule } from "effect"

/** How long a request that failed to connect, or met a 502/503/504, is retried: a server restart fits. */
export const DEFAULT_RETRY_TRANSPORT_FOR = Duration.seconds(30)

/**
 * How long a request may wait for the server's answer to begin. Generous on purpose: a retried
 * request only repeats the wait, and the longest legitimate answers (a whole long run's detail or
 * checkpoints, built by Postgres) take seconds, not a minute.
 */
export const DEFAULT_REQUEST_TIMEOUT = Duration.seconds(60)

/** What the transport knew about a failure that the error itself does not carry. */
export interface TransportNote {
  /** The base URL the client was configured with (`TIDEBASE_URL` or the `url` option). */
  readonly url: string
  /** How long the request was retried before this failure was final. */
  readonly retriedMs?: number
  readonly apiKeySent?: boolean
}

const notes = new WeakMap<object, TransportNote>()

/** The note attached to an error raised by a Tidebase client call, if any. */
export const transportNote = (error: unknown): TransportNote | undefined =>
  typeof error === "object" && error !== null ? notes.get(error) : undefined

const note = (error: unknown, added: Partial<TransportNote> & { readonly url: string }) => {
  if (typeof error === "object" && error !== null) notes.set(error, { ...notes.get(error), ...added })
}

const RETRIED_STATUSES: ReadonlySet<number> = new Set([502, 503, 504])

/** A gateway or a restarting server answered instead of Tidebase: drain the body so the connection is reused. */
const unavailable = (request: HttpClientRequest.HttpClientRequest, response: HttpClientResponse.HttpClientResponse) =>
  Effect.zipRight(
    Effect.ignore(response.arrayBuffer),
    Effect.fail(new HttpClientError.ResponseError({ request, response, reason: "StatusCode" }))
  )

const isTransient = (error: HttpClientError.HttpClientError) =>
  error._tag === "RequestError"
    ? error.reason === "Transport"
    : error.reason === "StatusCode" && RETRIED_STATUSES.has(error.response.status)

/**
 * Retries a request that failed to connect, lost its connection or got a 502/503/504, with
 * jittered backoff (100 ms doubling, at most 1 s apart) for `retryFor` after its first failure.
 * Every Tidebase write is idempotent or fenced by its lease, so sending one twice is safe. The
 * happy path costs one `catchAll`: nothing is scheduled unless a request fails.
 */
export const retryTransport = (url: string, retryFor: Duration.Duration) => {
  const budgetMs = Duration.toMillis(retryFor)
  const schedule = Schedule.exponential("100 millis").pipe(
    Schedule.union(Schedule.spaced("1 second")),
    Schedule.jittered,
    Schedule.upTo(retryFor)
  )
  const final = (error: HttpClientError.HttpClientError, retriedMs: number) => {
    note(error, { url, retriedMs })
    return Effect.fail(error)
  }
  return (client: HttpClient.HttpClient): HttpClient.HttpClient =>
    HttpClient.transform(client, (effect, request) => {
      const attempt = Effect.flatMap(
        effect,
        (response) => RETRIED_STATUSES.has(response.status) ? unavailable(request, response) : Effect.succeed(response)
      )
      return Effect.catchAll(attempt, (error) => {
        if (!isTransient(error)) return final(error, 0)
        if (budgetMs <= 0) return final(error, 0)
        const since = Date.now()
        return Effect.retry(attempt, { schedule, while: isTransient }).pipe(
          Effect.catchAll((last) => final(last, Date.now() - since))
        )
      })
    })
}

/**
 * Notes the server's base URL (and whether a key was sent) on failed answers, so that a body
 * that is not Tidebase's or a 401 can say where it came from and what to check.
 */
export const noteAnswers = (url: string, apiKeySent: boolean) => (effect: Effect.Effect<unknown, unknown>) =>
  Effect.mapError(effect, (error) => {
    note(error, { url, apiKeySent })
    return error
  })

/** Raised through `fetch`'s signal when the answer has not begun within the request timeout. */
export class RequestTimeout extends Error {
  override readonly name = "RequestTimeout"
  constructor(readonly timeout: Duration.Duration) {
    super(`no answer within ${Duration.format(timeout)}`)
  }
}

/**
 * `fetch` bounded until the answer's headers arrive: one timer per request, cheaper than an
 * Effect timeout (which forks fibers). The body is left to the runtime (Node's fetch gives up
 * on a body idle for 5 minutes). `globalThis.fetch` is looked up per call, so it can be swapped.
 */
const fetchWithTimeout = (timeout: Duration.Duration): typeof globalThis.fetch => {
  const ms = Duration.toMillis(timeout)
  return (input, init) => {
    const controller = new AbortController()
    const outer = init?.signal
    if (outer !== undefined && outer !== null) {
      if (outer.aborted) controller.abort(outer.reason)
      else outer.addEventListener("abort", () => controller.abort(outer.reason), { once: true })
    }
    const timer = setTimeout(() => controller.abort(new RequestTimeout(timeout)), ms)
    return globalThis.fetch(input, { ...init, signal: controller.signal }).finally(() => clearTimeout(timer))
  }
}

/** `FetchHttpClient` whose requests give up when no answer begins within `timeout`. */
export const fetchLayer = (timeout: Duration.Duration): Layer.Layer<HttpClient.HttpClient> =>
  FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetchWithTimeout(timeout))))
