import type { Step as WireStep } from "@tidebase/api"
import { inputHash } from "@tidebase/domain"
import { Cause, Duration, Effect, Either, Exit, Option, Schema } from "effect"
import { InputMismatchError, StepFailedError, StepTimeoutError } from "./Errors.js"
import type { DuplicateStepName } from "./Errors.js"
import { copyJson } from "./JsonValue.js"
import type { StepFailed, WorkflowError } from "./Errors.js"
import { retryPolicy } from "./RetryPolicy.js"
import { CurrentRun } from "./RunContext.js"
import type { RunContext } from "./RunContext.js"
import { runThenRecord } from "./RunThenRecord.js"
import { inStep } from "./StepScope.js"
import { recordsAfterRunning } from "./StepOptions.js"
import type { StepOptions } from "./StepOptions.js"
import {
  beginStep,
  claimStepName,
  completeStep,
  failStep,
  releaseStepName,
  replayedSync,
  stepIdentity,
  unserializableOutput
} from "./StepWrites.js"
import type { StepLease } from "./StepWrites.js"

export type StepError<E> = StepFailed<E | StepTimeoutError> | WorkflowError

/**
 * A checkpointed step. A completed checkpoint of the same name and input is returned without
 * running `effect`; otherwise it runs with retries and timeout, and its output is stored
 * before it is returned (after it runs when it has no side effects, else under a step lease).
 */
export const step: {
  <A, E, R>(name: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, StepError<E>, R | CurrentRun>
  <A, E, R>(
    name: string,
    options: StepOptions<A, E | StepTimeoutError>,
    effect: Effect.Effect<A, E, R>
  ): Effect.Effect<A, StepError<E>, R | CurrentRun>
} = <A, E, R>(
  name: string,
  optionsOrEffect: StepOptions<A, E | StepTimeoutError> | Effect.Effect<A, E, R>,
  maybeEffect?: Effect.Effect<A, E, R>
): Effect.Effect<A, StepError<E>, R | CurrentRun> =>
  maybeEffect === undefined
    ? runStep(name, {}, optionsOrEffect as Effect.Effect<A, E, R>)
    : runStep(name, optionsOrEffect as StepOptions<A, E | StepTimeoutError>, maybeEffect)

const runStep = <A, E, R>(name: string, options: StepOptions<A, E | StepTimeoutError>, effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(CurrentRun, (run): Effect.Effect<A, StepError<E>, R> =>
    fromCheckpoint(run, name, options) ?? executeStep(run, name, options, effect))

/** A step body running this long opens the run's cancel watch, so a cancel stops it mid-way. */
export const LONG_STEP_MS = 50

const watchedWhenLong = (run: RunContext) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    // A timer, not a fiber: most steps end first, and a fiber per step costs client CPU.
    const timer = setTimeout(run.watchCancel, LONG_STEP_MS)
    return Effect.ensuring(effect, Effect.sync(() => clearTimeout(timer)))
  })

const NO_INPUT_HASH = inputHash(null)
/** Most steps take no input: its hash is computed once, not per step. */
const hashOf = (options: StepOptions<any, any>) => options.input === undefined ? NO_INPUT_HASH : inputHash(options.input)

/**
 * Claims the step's name for this invocation, then answers from the checkpoints prefetched when
 * the run began, synchronously and without a round trip: the replayed output, or why not
 * (`DuplicateStepName`, `InputMismatchError`). Undefined when the step has no prefetched
 * checkpoint: the caller then runs it with `executeStep`, under the name already claimed.
 */
export const fromCheckpoint = <A>(
  run: RunContext,
  name: string,
  options: StepOptions<A, any>
): Exit.Exit<A, InputMismatchError | DuplicateStepName> | undefined => {
  const duplicate = claimStepName(run, name)
  if (duplicate !== undefined) return Exit.fail(duplicate)
  const cached = run.checkpoints.get(name)
  if (cached === undefined) return undefined
  const hash = hashOf(options)
  if (cached.inputHash !== hash) {
    return Exit.fail(new InputMismatchError({ runId: run.runId, step: name, expectedInputHash: cached.inputHash, actualInputHash: hash }))
  }
  // A copy: what the caller does to its value must not reach the prefetched checkpoint.
  return replayedSync(run, name, options, copyJson(cached.output))
}

/** Runs a step that `fromCheckpoint` found no checkpoint for (its name is already claimed). */
export const executeStep = <A, E, R>(
  run: RunContext,
  name: string,
  options: StepOptions<A, E | StepTimeoutError>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, StepError<E>, R> =>
  Effect.onError(execute(run, name, options, hashOf(options), effect), () => Effect.sync(() => releaseStepName(run, name)))

const withTimeout = <A, E, R>(name: string, options: StepOptions<A, any>, effect: Effect.Effect<A, E, R>) => {
  if (options.timeout === undefined) return effect as Effect.Effect<A, E | StepTimeoutError, R>
  const timeout = Duration.decode(options.timeout)
  return Effect.timeoutFail(effect, { duration: timeout, onTimeout: () => new StepTimeoutError({ step: name, timeout }) })
}

/**
 * A step that writes nowhere runs first and is recorded in one request. Any other, and every
 * retry after a failed attempt, takes the step lease first (begin → run → complete), so a
 * failure is recorded with its retry and resume decision exactly as for a leased step.
 */
const execute = <A, E, R>(
  run: RunContext,
  name: string,
  options: StepOptions<A, E | StepTimeoutError>,
  hash: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, StepError<E>, R> =>
  Effect.gen(function*() {
    const id = stepIdentity(name, options, hash)
    const retries = yield* retryPolicy(options.retries)
    // Encoding belongs to the attempt: a value its Schema rejects fails the step, not just this fiber.
    const attempt = (stepId: string | null) =>
      withTimeout(name, options, effect).pipe(
        watchedWhenLong(run),
        inStep(name, stepId),
        Effect.flatMap((value) =>
          options.output === undefined
            ? Effect.succeed([value, value as unknown] as const)
            : Effect.map(Effect.orDie(Schema.encode(options.output)(value)), (encoded) => [value, encoded as unknown] as const)
        )
      )

    let failed: { readonly cause: Cause.Cause<E | StepTimeoutError>; readonly lease: StepLease | undefined } | undefined
    // Over budget, the step asks first: the server stops the run before the function spends more.
    if (recordsAfterRunning(options) && !run.overBudget) {
      const first = yield* runThenRecord(run, id, options, attempt(null))
      if (first._tag === "Settled") return first.value
      failed = first
    }

    while (true) {
      let lease = failed?.lease
      let cause = failed?.cause
      failed = undefined
      // An interrupted body is not a failure to record, nor a reason to take a lease now.
      if (cause !== undefined && Cause.isInterruptedOnly(cause)) return yield* Effect.failCause(cause as Cause.Cause<never>)
      if (lease === undefined) {
        const begun = yield* beginStep(run, id, options)
        if (Either.isLeft(begun)) return begun.left
        lease = begun.right
      }
      if (cause === undefined) {
        const exit = yield* Effect.exit(attempt(lease.path.stepId))
        if (Exit.isSuccess(exit)) {
          const [value, output] = exit.value
          const unserializable = unserializableOutput(run, name, output)
          if (unserializable !== undefined) {
            // A mistake in the code, not a transient failure: no retry, and the step lease is not left running.
            yield* Effect.ignore(failStep(run, name, lease, unserializable, false))
            return yield* unserializable
          }
          yield* completeStep(run, name, lease, output)
          return value
        }
        cause = exit.cause
      }

      const failure = Cause.failureOption(cause)
      if (Option.isNone(failure)) {
        // A defect still ends the attempt on the server, so the step is not left leased until expiry.
        if (!Cause.isInterruptedOnly(cause)) yield* Effect.ignore(failStep(run, name, lease, Cause.squash(cause), false))
        return yield* Effect.failCause(cause as Cause.Cause<never>)
      }

      const delay = yield* retries.next(failure.value)
      if (Option.isSome(delay)) {
        yield* failStep(run, name, lease, failure.value, true)
        yield* Effect.sleep(delay.value)
        continue
      }
      const final: WireStep = yield* failStep(run, name, lease, failure.value, false)
      const resumeDecision = final.resumeDecision ?? "safe_replay"
      run.failures.set(failure.value, { step: name, resumeDecision })
      return yield* (new StepFailedError({
        runId: run.runId,
        step: name,
        attempt: final.attempt,
        resumeDecision,
        error: failure.value
      }) as StepFailed<E | StepTimeoutError>)
    }
  })
