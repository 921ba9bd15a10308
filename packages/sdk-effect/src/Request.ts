import type { HttpApiError, HttpClientError } from "@effect/platform"
import type * as Api from "@tidebase/api"
import { Duration, Effect, ParseResult } from "effect"
import { BudgetExceededError, LeaseLostError, RunCancelledError, RunNotFoundError, TidebaseRequestError } from "./Errors.js"
import { transportNote } from "./Transport.js"
import type { TransportNote } from "./Transport.js"

type Transport =
  | HttpClientError.HttpClientError
  | ParseResult.ParseError
  | HttpApiError.HttpApiDecodeError
  | Api.BadRequest
  | Api.Unauthorized
  | Api.NotFound
  | Api.UnsupportedMediaType
  | Api.InternalError
type Refusal =
  | Api.RunNotFound
  | Api.RunCancelled
  | Api.RunAlreadyCompleted
  | Api.LeaseLost
  | Api.StepNotFound
  | Api.BudgetExceeded

type Mapped<E> =
  | Exclude<E, Transport | Refusal>
  | (Extract<E, Transport> extends never ? never : TidebaseRequestError)
  | (Extract<E, Api.RunNotFound> extends never ? never : RunNotFoundError)
  | (Extract<E, Api.RunCancelled> extends never ? never : RunCancelledError)
  | (Extract<E, Api.LeaseLost | Api.StepNotFound | Api.RunAlreadyCompleted> extends never ? never : LeaseLostError)
  | (Extract<E, Api.BudgetExceeded> extends never ? never : BudgetExceededError)

const toSdkError = (runId: string, step: string | null, e: { readonly _tag: string }): unknown => {
  const error = e as Transport | Refusal
  switch (error._tag) {
    case "RunNotFound":
      return new RunNotFoundError({ runId })
    case "RunCancelled":
      return new RunCancelledError({ runId, reason: error.run.cancelReason, actor: error.run.cancelActor })
    // Someone else finished or took over the run: this invocation's writes are stale either way.
    case "LeaseLost":
    case "StepNotFound":
    case "RunAlreadyCompleted":
      return new LeaseLostError({ runId, step })
    case "BudgetExceeded":
      return new BudgetExceededError({ runId, run: error.run })
    case "BadRequest":
    case "Unauthorized":
    case "NotFound":
    case "UnsupportedMediaType":
    case "InternalError":
    case "HttpApiDecodeError":
    case "RequestError":
    case "ResponseError":
    case "ParseError":
      return new TidebaseRequestError({ reason: reasonFor(error, transportNote(error)), cause: error })
    default:
      return e
  }
}

const URL_SETTING = "TIDEBASE_URL (or the url option)"

/** The advice for an answer that did not come from a Tidebase server, or not from this version's API. */
const notTidebase = (url: string, what: string) =>
  `${what}: is this a Tidebase server? GET ${url}/health should answer {"ok":true}; ${URL_SETTING} says where the server is`

const retried = (note: TransportNote | undefined) =>
  note?.retriedMs === undefined || note.retriedMs === 0 ? "" : `, retried for ${Duration.format(Duration.millis(note.retriedMs))}`

/** "Transport error (POST …)" says little on its own; the innermost cause says why (ECONNREFUSED, …). */
const rootCause = (error: unknown): { readonly message: string; readonly code: string | undefined; readonly name: string } => {
  let root: unknown = error
  while (root instanceof Error && root.cause instanceof Error) root = root.cause
  const e = root as { readonly message?: unknown; readonly code?: unknown; readonly name?: unknown; readonly errors?: unknown }
  const code = typeof e?.code === "string" ? e.code : undefined
  // Connecting to a name with several addresses fails with an AggregateError whose own message may be empty.
  const first = Array.isArray(e?.errors) ? (e.errors[0] as { readonly message?: unknown } | undefined)?.message : undefined
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : typeof first === "string" ? first : code ?? String(root)
  return { message, code, name: typeof e?.name === "string" ? e.name : "" }
}

const TIMEOUTS = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"])

const target = (request: { readonly method: string; readonly url: string }) => {
  try {
    return `${request.method} ${new URL(request.url).pathname}`
  } catch {
    return `${request.method} ${request.url}`
  }
}

/** A sentence that says what went wrong and what to do, never a Schema decode dump. */
const reasonFor = (error: Transport, note: TransportNote | undefined): string => {
  const url = note?.url ?? "the Tidebase server"
  switch (error._tag) {
    case "RequestError": {
      const root = rootCause(error.cause)
      if (error.reason === "InvalidUrl") return `${URL_SETTING} is not a valid URL (${error.request.url}): ${root.message}`
      if (error.reason === "Encode") return `could not encode the request body for ${target(error.request)}: ${root.message}`
      if (root.name === "RequestTimeout" || (root.code !== undefined && TIMEOUTS.has(root.code))) {
        return `Tidebase at ${url} did not answer ${target(error.request)} in time (${root.message}${retried(note)}): ` +
          `is the server overloaded or stuck? requestTimeout (TIDEBASE_REQUEST_TIMEOUT_MS) sets the limit`
      }
      return `could not reach Tidebase at ${url} (${target(error.request)}: ${root.message}${retried(note)}): ` +
        `is the server running? ${URL_SETTING} must point at it`
    }
    case "ResponseError": {
      const status = error.response.status
      if (status === 502 || status === 503 || status === 504) {
        return `Tidebase at ${url} answered ${status} to ${target(error.request)}${retried(note)}: ` +
          `is the server, or the proxy in front of it, up? GET ${url}/health`
      }
      if (status >= 500) return `the server at ${url} failed on ${target(error.request)} (HTTP ${status}): its log has the cause`
      return notTidebase(url, `${target(error.request)} answered HTTP ${status}, which Tidebase's API does not`)
    }
    case "ParseError":
    case "HttpApiDecodeError":
      // Without a note, the request itself failed its Schema before it was sent: that is the caller's value.
      return note === undefined && error._tag === "ParseError"
        ? `invalid request: ${issues(error)}`
        : notTidebase(url, `the answer from ${url} is not one of Tidebase's`)
    case "Unauthorized":
      return note?.apiKeySent === true
        ? `Tidebase at ${url} refused the API key (401): TIDEBASE_API_KEY (or the apiKey option) must be the key the server was started with`
        : `Tidebase at ${url} requires an API key (401): set TIDEBASE_API_KEY (or the apiKey option) to the server's key`
    case "NotFound":
      return `Tidebase at ${url} has no such route (${error.error}): is the server older than this SDK?`
    case "InternalError":
      return `the Tidebase server at ${url} failed (${error.error}): its log has the cause`
    case "BadRequest":
    case "UnsupportedMediaType":
      return `Tidebase refused the request: ${error.error}`
  }
}

const issues = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "" : `${issue.path.join(".")}: `}${issue.message}`)
    .join("; ")

/**
 * A client call with the wire's errors turned into the SDK's: refusals keep their meaning
 * (cancelled, lease lost, not found) and every transport failure becomes `TidebaseRequestError`.
 */
export const request = <A, E extends { readonly _tag: string }, R>(
  call: Effect.Effect<A, E, R>,
  at: { readonly runId: string; readonly step?: string }
): Effect.Effect<A, Mapped<E>, R> =>
  Effect.mapError(call, (e) => toSdkError(at.runId, at.step ?? null, e) as Mapped<E>)
