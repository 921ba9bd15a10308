import { Cause, Duration, Effect, Either, Exit, Runtime } from "effect"
import type { RunContext } from "./RunContext.js"
import { announceAfter } from "./StepOptions.js"
import type { StepOptions } from "./StepOptions.js"
import { beginStep, checkpointStep, completeStep, failStep, unserializableOutput } from "./StepWrites.js"
import type { StepIdentity, StepLease } from "./StepWrites.js"

/** The first attempt either settled the step, or failed and leaves the failure to the begin + fail path. */
export type FirstAttempt<A, E> =
  | { readonly _tag: "Settled"; readonly value: A }
  | { readonly _tag: "Failed"; readonly cause: Cause.Cause<E>; readonly lease: StepLease | undefined }

type Announcement<A> = Exit.Exit<Either.Either<StepLease, A>, Effect.Effect.Error<ReturnType<typeof beginStep<A>>>>

/**
 * Runs the body first and records it with one steps/checkpoint. A body still running after
 * `announceAfter` is announced with steps/begin (in the background, so the body is not
 * delayed) and then completed under that step lease, so a long step shows as running.
 */
export const runThenRecord = <A, E, R>(
  run: RunContext,
  id: StepIdentity,
  options: StepOptions<A, any>,
  attempt: Effect.Effect<readonly [A, unknown], E, R>
) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const startedAt = Date.now()
    let announcing: Promise<Announcement<A>> | undefined
    // A timer rather than a forked, sleeping fiber: most steps finish first, and a fiber per
    // step cost more client CPU than the rest of the step's bookkeeping. Once sent, the begin
    // runs to its end whatever happens to this fiber: whether it was recorded must be known.
    const timer = setTimeout(() => {
      // An Exit, never a rejection: nobody may be awaiting it if this fiber was interrupted.
      announcing = Runtime.runPromiseExit(runtime, beginStep(run, id, options))
    }, Duration.toMillis(announceAfter(options)))
    const exit = yield* Effect.exit(attempt).pipe(Effect.ensuring(Effect.sync(() => clearTimeout(timer))))
    const announced = announcing === undefined ? undefined : yield* Effect.promise(() => announcing!)

    // An announcement the transport lost changes nothing: a checkpoint by the same owner still records the step.
    const usable = announced !== undefined && !(Exit.isFailure(announced) && isTransportFailure(announced.cause))
      ? announced
      : undefined
    if (usable !== undefined && Exit.isFailure(usable)) return yield* Effect.failCause(usable.cause)
    const begun = usable?.value
    if (begun !== undefined && Either.isLeft(begun)) return settled<A, E>(begun.left)
    const lease = begun?.right

    if (Exit.isFailure(exit)) return { _tag: "Failed", cause: exit.cause, lease } as FirstAttempt<A, E>
    const [value, output] = exit.value
    const unserializable = unserializableOutput(run, id.name, output)
    if (unserializable !== undefined) {
      // Nothing is written for it; an announced step is failed rather than left running.
      if (lease !== undefined) yield* Effect.ignore(failStep(run, id.name, lease, unserializable, false))
      return yield* unserializable
    }
    if (lease !== undefined) {
      yield* completeStep(run, id.name, lease, output)
      return settled<A, E>(value)
    }
    // The step's start, for its log: the server counts back from when it records it.
    const durationMs = Math.min(Math.max(0, Date.now() - startedAt), 24 * 60 * 60 * 1000)
    return settled<A, E>(yield* checkpointStep(run, id, options, value, output, durationMs))
  })

const settled = <A, E>(value: A): FirstAttempt<A, E> => ({ _tag: "Settled", value })

const isTransportFailure = (cause: Cause.Cause<{ readonly _tag: string }>) => {
  const failure = Cause.failureOption(cause)
  return failure._tag === "Some" && failure.value._tag === "TidebaseRequestError"
}
