import { Data, Deferred, Effect, Fiber } from "effect"
import type { Scope } from "effect"
import { createChild, joinChild } from "./Child.js"
import type { ChildError, ChildOptions } from "./Child.js"
import type { LeaseLostError, RunCancelledError, WorkflowError } from "./Errors.js"
import { openGate } from "./Gate.js"
import type { GateError, GateOptions, GateState } from "./Gate.js"
import type { RunOptions } from "./Run.js"
import { CurrentRun } from "./RunContext.js"
import type { RunContext } from "./RunContext.js"
import { step } from "./Step.js"
import type { StepError } from "./Step.js"
import type { StepOptions } from "./StepOptions.js"
import { Tidebase } from "./Tidebase.js"
import type { StepTimeoutError } from "./Errors.js"

/** A write on a session that has ended: completed, failed, or taken over (the refusal says which). */
export class SessionClosed extends Data.TaggedError("SessionClosed")<{
  readonly runId: string
  readonly reason: "completed" | "failed" | "lease_lost" | "cancelled"
}> {
  override get message() {
    return `session on run ${this.runId} is closed (${this.reason})`
  }
}

/**
 * A run driven step by step (a chat, an IDE), its lease kept by the workflow machinery's own
 * heartbeat while the session's scope is open. Writes after it ends fail with `SessionClosed`.
 */
export interface Session {
  readonly runId: string
  readonly input: unknown
  /** The run's context, for `Workflow.state`, `Workflow.recordUsage` and the like: provide it as `CurrentRun`. */
  readonly context: RunContext
  readonly step: <A, E, R>(
    name: string,
    effect: Effect.Effect<A, E, R>,
    options?: StepOptions<A, E | StepTimeoutError>
  ) => Effect.Effect<A, StepError<E> | SessionClosed, R>
  /** Never blocks: the gate pending, or its decision once there is one. */
  readonly gate: (name: string, prompt: string, options?: GateOptions) => Effect.Effect<GateState, GateError | SessionClosed>
  readonly child: (name: string, workflowName: string, input?: unknown, options?: ChildOptions) => Effect.Effect<unknown, ChildError | SessionClosed>
  /** Completes the run with `result` and ends the session. */
  readonly complete: (result?: unknown) => Effect.Effect<void, WorkflowError | SessionClosed>
  /** Fails the run with `error` (a resume may run it again) and ends the session. */
  readonly fail: (error: unknown) => Effect.Effect<void, WorkflowError | SessionClosed>
  readonly isOpen: Effect.Effect<boolean>
}

export interface AttachOptions extends RunOptions {
  /** Runs once if a heartbeat is refused (the run was taken over or cancelled); the session is then closed. */
  readonly onLeaseLost?: (refusal: LeaseLostError | RunCancelledError) => void
}

/**
 * Attaches to the run `options.runId` of `workflowName` (creating it when new). The session rides
 * on a workflow run whose body waits until `complete` or `fail`, so its lease, heartbeat,
 * checkpoints and fencing are a workflow's; closing the scope while open lets the lease go.
 */
export const attach = (
  workflowName: string,
  options: AttachOptions = {}
): Effect.Effect<Session, WorkflowError | SessionClosed, Tidebase | Scope.Scope> =>
  Effect.gen(function*() {
    const tide = yield* Tidebase
    const ready = yield* Deferred.make<RunContext>()
    const ended = yield* Deferred.make<unknown, unknown>()
    let closed: SessionClosed["reason"] | undefined
    const running = yield* Effect.forkScoped(
      tide.run(workflowName, {
        ...options,
        onLeaseLost: (refusal) => {
          if (closed !== undefined) return
          closed = refusal._tag === "RunCancelledError" ? "cancelled" : "lease_lost"
          Deferred.unsafeDone(ended, Effect.fail(refusal))
          options.onLeaseLost?.(refusal)
        }
      }, () => Effect.flatMap(CurrentRun, (context) => Effect.zipRight(Deferred.succeed(ready, context), Deferred.await(ended))))
    )
    const context = yield* Effect.raceFirst(
      Deferred.await(ready),
      // The run ended without its body: it had completed before.
      Effect.zipRight(
        Fiber.join(running) as Effect.Effect<unknown, WorkflowError>,
        Effect.fail(new SessionClosed({ runId: options.runId ?? "", reason: "completed" }))
      )
    )

    const open = Effect.suspend(() => closed === undefined ? Effect.void : Effect.fail(new SessionClosed({ runId: context.runId, reason: closed })))
    const inRun = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.zipRight(open, Effect.provideService(effect, CurrentRun, context))
    const end = (reason: "completed" | "failed", settle: Effect.Effect<boolean>) =>
      Effect.zipRight(open, Effect.suspend(() => {
        closed = reason
        // The run's failure is a WorkflowError, or the error `fail` was given (which `fail` takes back).
        return Effect.zipRight(settle, Fiber.join(running) as Effect.Effect<unknown, WorkflowError>)
      }))

    return {
      runId: context.runId,
      input: context.input,
      context,
      step: (name, effect, stepOptions) => inRun(stepOptions === undefined ? step(name, effect) : step(name, stepOptions, effect)),
      gate: (name, prompt, gateOptions) => inRun(openGate(context, name, prompt, gateOptions)),
      child: (name, childWorkflow, input, childOptions) => {
        const spec = { name, workflowName: childWorkflow, input, ...(childOptions === undefined ? {} : { options: childOptions }) }
        return inRun(Effect.flatMap(createChild(context, spec), (made) => joinChild(context, spec, made)))
      },
      complete: (result) => Effect.asVoid(end("completed", Deferred.succeed(ended, result))),
      fail: (error) =>
        end("failed", Deferred.fail(ended, error)).pipe(
          Effect.asVoid,
          Effect.catchIf((e) => e === error, () => Effect.void)
        ) as Effect.Effect<void, WorkflowError | SessionClosed>,
      isOpen: Effect.sync(() => closed === undefined)
    } satisfies Session
  })

