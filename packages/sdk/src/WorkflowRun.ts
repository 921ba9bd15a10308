import { StepFailedError, Workflow } from "@tidebase/effect"
import type { RunContext, StepOptions as EffectStepOptions } from "@tidebase/effect"
import { Cause, Duration, Effect, Exit } from "effect"
import type { StepOptions } from "./Options.js"

/** The handle a workflow function receives: the run's identity and its checkpointed `step`. */
export interface WorkflowRun<I = any> {
  readonly runId: string
  readonly workflowName: string
  readonly input: I
  /** The run lease's epoch: 1 on the first invocation, bumped by every resume. */
  readonly attempt: number
  /** Steps this invocation served from checkpoints, in order. */
  readonly replayed: ReadonlyArray<string>
  /** Steps this invocation executed and checkpointed, in order. */
  readonly executed: ReadonlyArray<string>
  step<T>(name: string, fn: () => T | PromiseLike<T>): Promise<T>
  step<T>(name: string, options: StepOptions<T>, fn: () => T | PromiseLike<T>): Promise<T>
}

const toEffectOptions = <T>(options: StepOptions<T>): EffectStepOptions<T> => {
  if (options.timeoutMs === undefined && options.announceAfterMs === undefined) return options
  const { announceAfterMs, timeoutMs, ...rest } = options
  return {
    ...rest,
    ...(timeoutMs === undefined ? {} : { timeout: Duration.millis(timeoutMs) }),
    ...(announceAfterMs === undefined ? {} : { announceAfter: Duration.millis(announceAfterMs) })
  }
}

/** What the step's function threw comes back unchanged; the SDK's own refusals are thrown as its error classes. */
const settle = <T>(exit: Exit.Exit<T, unknown>): T => {
  if (Exit.isSuccess(exit)) return exit.value
  const error = Cause.squash(exit.cause)
  throw error instanceof StepFailedError ? error.error : error
}

export const makeWorkflowRun = <I>(context: RunContext): WorkflowRun<I> => {
  const names = (outcome: "replayed" | "executed") =>
    context.journal.filter((r) => r.outcome === outcome).map((r) => r.name)
  return {
    runId: context.runId,
    workflowName: context.workflowName,
    input: context.input as I,
    attempt: context.leaseEpoch,
    get replayed() {
      return names("replayed")
    },
    get executed() {
      return names("executed")
    },
    step<T>(name: string, optionsOrFn: StepOptions<T> | (() => T | PromiseLike<T>), maybeFn?: () => T | PromiseLike<T>) {
      const [options, fn] = maybeFn === undefined
        ? [{}, optionsOrFn as () => T | PromiseLike<T>]
        : [optionsOrFn as StepOptions<T>, maybeFn]
      const effectOptions = toEffectOptions(options)
      // Replaying a prefetched checkpoint needs no fiber and no round trip: a long resume stays cheap.
      const replayed = Workflow.fromCheckpoint(context, name, effectOptions)
      if (replayed !== undefined) return new Promise<T>((resolve) => resolve(settle(replayed)))
      const body = Effect.tryPromise({ try: async () => await fn(), catch: (error) => error })
      return Effect.runPromiseExit(Workflow.executeStep(context, name, effectOptions, body)).then(settle)
    }
  }
}
