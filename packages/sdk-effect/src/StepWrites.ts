import type { Step as WireStep } from "@tidebase/api"
import { Effect, Either, Exit, Schema } from "effect"
import { errorJson } from "./ErrorJson.js"
import { DuplicateStepName, InputMismatchError, RunCancelledError, StepLockedError, UnserializableOutput } from "./Errors.js"
import { findUnfaithfulJson } from "./JsonValue.js"
import { request } from "./Request.js"
import type { RunContext } from "./RunContext.js"
import { wireOptions } from "./StepOptions.js"
import type { StepOptions } from "./StepOptions.js"

/** The step lease this invocation holds: its writes are fenced by the step's attempt. */
export interface StepLease {
  readonly path: { readonly runId: string; readonly stepId: string }
  readonly fence: { readonly leaseOwner: string; readonly leaseEpoch: number }
}

/** What both steps/begin and steps/checkpoint may answer instead of going ahead. */
type Refusal =
  | { readonly action: "input_mismatch"; readonly expectedInputHash: string; readonly actualInputHash: string }
  | { readonly action: "locked"; readonly step: WireStep }
  | { readonly action: "cancelled"; readonly reason?: string | null | undefined; readonly actor?: string | null | undefined }

type Refused = InputMismatchError | StepLockedError | RunCancelledError

const refused = (run: RunContext, name: string, answer: Refusal): Refused => {
  switch (answer.action) {
    case "input_mismatch":
      return new InputMismatchError({
        runId: run.runId,
        step: name,
        expectedInputHash: answer.expectedInputHash,
        actualInputHash: answer.actualInputHash
      })
    case "locked":
      return new StepLockedError({
        runId: run.runId,
        step: name,
        status: answer.step.status,
        resumeDecision: answer.step.resumeDecision
      })
    case "cancelled":
      return new RunCancelledError({ runId: run.runId, reason: answer.reason ?? null, actor: answer.actor ?? null })
  }
}

/** Names this invocation has used, so a second step under one name fails instead of replaying the first. */
const claimedNames = new WeakMap<RunContext, Set<string>>()

/** Claims `name` for this invocation: every step of a run needs its own, or the second would get the first's checkpoint. */
export const claimStepName = (run: RunContext, name: string): DuplicateStepName | undefined => {
  let names = claimedNames.get(run)
  if (names === undefined) claimedNames.set(run, names = new Set())
  if (names.has(name)) return new DuplicateStepName({ runId: run.runId, step: name })
  names.add(name)
  return undefined
}

/** A step that failed leaves no result under its name: calling it again (a retry around it) is not a duplicate. */
export const releaseStepName = (run: RunContext, name: string) => {
  claimedNames.get(run)?.delete(name)
}

/** Refuses an output that would not read back as itself, before anything is written. */
export const unserializableOutput = (run: RunContext, name: string, output: unknown): UnserializableOutput | undefined => {
  const found = findUnfaithfulJson(output)
  return found === undefined ? undefined : new UnserializableOutput({ runId: run.runId, step: name, ...found })
}

/** A stored checkpoint, decoded with the step's Schema and journaled as replayed. */
export const replayedSync = <A>(run: RunContext, name: string, options: StepOptions<A, any>, output: unknown): Exit.Exit<A, never> => {
  run.journal.push({ name, outcome: "replayed" })
  if (options.output === undefined) return Exit.succeed(output as A)
  const decoded = Schema.decodeUnknownEither(options.output)(output)
  return decoded._tag === "Right" ? Exit.succeed(decoded.right) : Exit.die(decoded.left)
}

/** The fields steps/begin and steps/checkpoint share, computed once per step. */
export interface StepIdentity {
  readonly name: string
  readonly inputHash: string
  readonly input: unknown
  readonly options: Record<string, unknown>
}

export const stepIdentity = (name: string, options: StepOptions<any, any>, inputHash: string): StepIdentity => ({
  name,
  inputHash,
  input: options.input ?? null,
  options: wireOptions(options)
})

/** steps/begin as the run lease's holder: the step's lease (Right), or its stored output (Left). */
export const beginStep = <A>(run: RunContext, id: StepIdentity, options: StepOptions<A, any>) =>
  request(
    run.client.steps.begin({
      path: { runId: run.runId },
      payload: { ...id, leaseOwner: run.leaseOwner, leaseEpoch: run.leaseEpoch }
    }),
    { runId: run.runId, step: id.name }
  ).pipe(
    Effect.catchTag("RunNotFoundError", Effect.die),
    Effect.flatMap((begun): Effect.Effect<Either.Either<StepLease, A>, Refused> => {
      switch (begun.action) {
        case "execute":
          return Effect.succeed(Either.right<StepLease>({
            path: { runId: run.runId, stepId: begun.step.id },
            fence: { leaseOwner: begun.leaseOwner, leaseEpoch: begun.step.attempt }
          }))
        case "return":
          return Effect.map(replayedSync(run, id.name, options, begun.output), Either.left)
        default:
          return Effect.fail(refused(run, id.name, begun))
      }
    })
  )

/** steps/checkpoint: a step this invocation already ran, recorded in one request; a checkpoint that exists wins. */
export const checkpointStep = <A>(run: RunContext, id: StepIdentity, options: StepOptions<A, any>, value: A, output: unknown, durationMs: number) =>
  request(
    run.client.steps.checkpoint({
      path: { runId: run.runId },
      payload: { ...id, output, leaseOwner: run.leaseOwner, leaseEpoch: run.leaseEpoch, durationMs }
    }),
    { runId: run.runId, step: id.name }
  ).pipe(
    Effect.catchTag("RunNotFoundError", Effect.die),
    // The step already ran, so the server kept its checkpoint before stopping the run.
    Effect.tapErrorTag("BudgetExceededError", () => Effect.sync(() => run.journal.push({ name: id.name, outcome: "executed" }))),
    Effect.flatMap((answer): Effect.Effect<A, Refused> => {
      switch (answer.action) {
        case "recorded":
          run.journal.push({ name: id.name, outcome: "executed" })
          return Effect.succeed(value)
        case "return":
          return replayedSync(run, id.name, options, answer.output)
        default:
          return Effect.fail(refused(run, id.name, answer))
      }
    })
  )

export const completeStep = (run: RunContext, name: string, lease: StepLease, output: unknown) =>
  request(run.client.steps.complete({ path: lease.path, payload: { ...lease.fence, output } }), { runId: run.runId, step: name }).pipe(
    Effect.catchTag("RunNotFoundError", Effect.die),
    Effect.map(() => {
      run.journal.push({ name, outcome: "executed" })
    })
  )

export const failStep = (run: RunContext, name: string, lease: StepLease, error: unknown, retryable: boolean) =>
  request(
    run.client.steps.fail({ path: lease.path, payload: { ...lease.fence, error: errorJson(error), retryable } }),
    { runId: run.runId, step: name }
  ).pipe(
    Effect.catchTag("RunNotFoundError", Effect.die),
    Effect.map(({ step }) => step)
  )
