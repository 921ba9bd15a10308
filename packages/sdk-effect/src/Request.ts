import type { HttpApiError, HttpClientError } from "@effect/platform"
import type * as Api from "@tidebase/api"
import { Effect } from "effect"
import type { ParseResult } from "effect"
import { LeaseLostError, RunCancelledError, RunNotFoundError, TidebaseRequestError } from "./Errors.js"

type Transport =
  | HttpClientError.HttpClientError
  | ParseResult.ParseError
  | HttpApiError.HttpApiDecodeError
  | Api.BadRequest
  | Api.Unauthorized
type Refusal = Api.RunNotFound | Api.RunCancelled | Api.RunAlreadyCompleted | Api.LeaseLost | Api.StepNotFound

type Mapped<E> =
  | Exclude<E, Transport | Refusal>
  | (Extract<E, Transport> extends never ? never : TidebaseRequestError)
  | (Extract<E, Api.RunNotFound> extends never ? never : RunNotFoundError)
  | (Extract<E, Api.RunCancelled> extends never ? never : RunCancelledError)
  | (Extract<E, Api.LeaseLost | Api.StepNotFound | Api.RunAlreadyCompleted> extends never ? never : LeaseLostError)

const toSdkError = (runId: string, step: string | null, e: { readonly _tag: string }): unknown => {
  const error = e as Transport | Refusal
  switch (error._tag) {
    case "RunNotFound":
      return new RunNotFoundError({ runId })
    case "RunCancelled":
      return new RunCancelledError({ runId, reason: error.run.cancelReason })
    // Someone else finished or took over the run: this invocation's writes are stale either way.
    case "LeaseLost":
    case "StepNotFound":
    case "RunAlreadyCompleted":
      return new LeaseLostError({ runId, step })
    case "BadRequest":
    case "Unauthorized":
      return new TidebaseRequestError({ reason: error.error, cause: error })
    case "HttpApiDecodeError":
    case "RequestError":
    case "ResponseError":
    case "ParseError":
      return new TidebaseRequestError({ reason: withRootCause(error), cause: error })
    default:
      return e
  }
}

/** "Transport error (POST …)" says little on its own; the innermost cause says why (ECONNREFUSED, …). */
const withRootCause = (error: Error) => {
  let root: unknown = error
  while (root instanceof Error && root.cause instanceof Error) root = root.cause
  return root === error || !(root instanceof Error) ? error.message : `${error.message}: ${root.message}`
}

/**
 * A client call with the wire's errors turned into the SDK's: refusals keep their meaning
 * (cancelled, lease lost, not found) and every transport failure becomes `TidebaseRequestError`.
 */
export const request = <A, E extends { readonly _tag: string }, R>(
  call: Effect.Effect<A, E, R>,
  at: { readonly runId: string; readonly step?: string }
): Effect.Effect<A, Mapped<E>, R> =>
  Effect.mapError(call, (e) => toSdkError(at.runId, at.step ?? null, e) as Mapped<E>)
