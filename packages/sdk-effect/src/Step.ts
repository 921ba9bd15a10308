import type { Step as WireStep } from "@tidebase/api"
import { inputHash } from "@tidebase/domain"
import { Cause, Duration, Effect, Exit, Option, Schema } from "effect"
import { errorJson } from "./ErrorJson.js"
import { InputMismatchError, RunCancelledError, StepFailedError, StepLockedError, StepTimeoutError } from "./Errors.js"
import type { StepFailed, WorkflowError } from "./Errors.js"
import { request } from "./Request.js"
import { retryPolicy } from "./RetryPolicy.js"
import { CurrentRun } from "./RunContext.js"
import type { RunContext } from "./RunContext.js"
import { wireOptions } from "./StepOptions.js"
import type { StepOptions } from "./StepOptions.js"

export type StepError<E> = StepFailed<E | StepTimeoutError> | WorkflowError

/**
 * A checkpointed step. A completed checkpoint of the same name and input is returned without
 * running `effect`; otherwise it runs under a fenced step lease, with retries and timeout, and
 * its output is stored before it is returned.
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
    fromCheckpoint(run, name, options) ?? execute(run, name, options, inputHash(options.input ?? null), effect))

/**
 * The step's result from the checkpoints prefetched when the run began, decided synchronously
 * and without a round trip; undefined when the step has no prefetched checkpoint.
 */
export const fromCheckpoint = <A>(
  run: RunContext,
  name: string,
  options: StepOptions<A, any>
): Exit.Exit<A, InputMismatchError> | undefined => {
  const cached = run.checkpoints.get(name)
  if (cached === undefined) return undefined
  const hash = inputHash(options.input ?? null)
  if (cached.inputHash !== hash) {
    return Exit.fail(new InputMismatchError({ runId: run.runId, step: name, expectedInputHash: cached.inputHash, actualInputHash: hash }))
  }
  return replayedSync(run, name, options, cached.output)
}

const replayedSync = <A>(run: RunContext, name: string, options: StepOptions<A, any>, output: unknown): Exit.Exit<A, never> => {
  run.journal.push({ name, outcome: "replayed" })
  if (options.output === undefined) return Exit.succeed(output as A)
  const decoded = Schema.decodeUnknownEither(options.output)(output)
  return decoded._tag === "Right" ? Exit.succeed(decoded.right) : Exit.die(decoded.left)
}

const replayed = <A>(run: RunContext, name: string, options: StepOptions<A, any>) => (output: unknown) =>
  Effect.suspend(() => replayedSync(run, name, options, output))

const withTimeout = <A, E, R>(name: string, options: StepOptions<A, any>, effect: Effect.Effect<A, E, R>) => {
  if (options.timeout === undefined) return effect as Effect.Effect<A, E | StepTimeoutError, R>
  const timeout = Duration.decode(options.timeout)
  return Effect.timeoutFail(effect, { duration: timeout, onTimeout: () => new StepTimeoutError({ step: name, timeout }) })
}

const execute = <A, E, R>(
  run: RunContext,
  name: string,
  options: StepOptions<A, E | StepTimeoutError>,
  hash: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, StepError<E>, R> =>
  Effect.gen(function*() {
    const at = { runId: run.runId, step: name }
    const steps = run.client.steps
    const retries = yield* retryPolicy(options.retries)
    // Encoding belongs to the attempt: a value its Schema rejects fails the step, not just this fiber.
    const attempt = withTimeout(name, options, effect).pipe(
      Effect.flatMap((value) =>
        options.output === undefined
          ? Effect.succeed([value, value as unknown] as const)
          : Effect.map(Effect.orDie(Schema.encode(options.output)(value)), (encoded) => [value, encoded as unknown] as const)
      )
    )

    while (true) {
      const begun = yield* request(
        steps.begin({
          path: { runId: run.runId },
          payload: {
            name,
            inputHash: hash,
            input: options.input ?? null,
            options: wireOptions(options),
            leaseOwner: run.leaseOwner,
            leaseEpoch: run.leaseEpoch
          }
        }),
        at
      ).pipe(Effect.catchTag("RunNotFoundError", Effect.die))

      switch (begun.action) {
        case "return":
          return yield* replayed(run, name, options)(begun.output)
        case "input_mismatch":
          return yield* new InputMismatchError({
            runId: run.runId,
            step: name,
            expectedInputHash: begun.expectedInputHash,
            actualInputHash: begun.actualInputHash
          })
        case "locked":
          return yield* new StepLockedError({
            runId: run.runId,
            step: name,
            status: begun.step.status,
            resumeDecision: begun.step.resumeDecision
          })
        case "cancelled":
          return yield* new RunCancelledError({ runId: run.runId, reason: null })
      }

      const fence = { leaseOwner: begun.leaseOwner, leaseEpoch: begun.step.attempt }
      const path = { runId: run.runId, stepId: begun.step.id }
      const fail = (error: unknown, retryable: boolean) =>
        request(steps.fail({ path, payload: { ...fence, error: errorJson(error), retryable } }), at).pipe(
          Effect.catchTag("RunNotFoundError", Effect.die),
          Effect.map(({ step }) => step)
        )

      const exit = yield* Effect.exit(attempt)
      if (Exit.isSuccess(exit)) {
        const [value, output] = exit.value
        yield* request(steps.complete({ path, payload: { ...fence, output } }), at).pipe(
          Effect.catchTag("RunNotFoundError", Effect.die)
        )
        run.journal.push({ name, outcome: "executed" })
        return value
      }

      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure)) {
        // A defect still ends the attempt on the server, so the step is not left leased until expiry.
        if (!Cause.isInterruptedOnly(exit.cause)) yield* Effect.ignore(fail(Cause.squash(exit.cause), false))
        return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
      }

      const delay = yield* retries.next(failure.value)
      if (Option.isSome(delay)) {
        yield* fail(failure.value, true)
        yield* Effect.sleep(delay.value)
        continue
      }
      const failed: WireStep = yield* fail(failure.value, false)
      const resumeDecision = failed.resumeDecision ?? "safe_replay"
      run.failures.set(failure.value, { step: name, resumeDecision })
      return yield* (new StepFailedError({
        runId: run.runId,
        step: name,
        attempt: failed.attempt,
        resumeDecision,
        error: failure.value
      }) as StepFailed<E | StepTimeoutError>)
    }
  })
