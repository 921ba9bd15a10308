import type { State, StateVersion } from "@tidebase/api"
import {
  awaitGate,
  bindState,
  bindUsage,
  createChild,
  createSnapshot,
  CurrentStep,
  joinChild,
  openGate,
  StepFailedError,
  Workflow
} from "@tidebase/effect"
import type {
  ChildOptions,
  ChildSpec,
  GateDecided,
  GateOptions,
  GateState,
  MadeChild,
  GetStateOptions,
  RunContext,
  SaveStateOptions,
  SnapshotOptions,
  StatePatch,
  StateVersionsOptions,
  StateWriteOptions,
  StepOptions as EffectStepOptions,
  StepScope,
  UsageFields,
  UsageRecorded
} from "@tidebase/effect"
import { Cause, Duration, Effect, Exit, FiberRef, Option } from "effect"
import type { Schema } from "effect"
import { AsyncLocalStorage } from "node:async_hooks"
import type { StepOptions } from "./Options.js"

/** The run's live state: each write appends a version, and readers of the run's events see it at once. */
export interface WorkflowState<S = any> {
  /** Replaces the stream's value (the run's own stream unless `options.stream` names another). */
  set(value: S, options?: StateWriteOptions): Promise<State>
  /** Merges `partial` into the stream's value, shallowly: the keys given replace the current ones. */
  patch(partial: StatePatch<S>, options?: StateWriteOptions): Promise<State>
  /** The stream's current value as the server has it, or `undefined` before its first write. */
  get(options?: GetStateOptions): Promise<S | undefined>
  /** Labels the stream's current value as a version of its own (importance `milestone` by default). */
  save(label: string, options?: SaveStateOptions): Promise<StateVersion>
  /** Versions by stream then version, each with its full value; `labeled: true` for saves and snapshots only. */
  versions(options?: StateVersionsOptions): Promise<ReadonlyArray<StateVersion>>
}

/** What a step's function is given: `signal` aborts when the run is cancelled while the step runs (pass it to `fetch`). */
export interface StepContext {
  readonly signal: AbortSignal
}

export type StepFn<T> = (step: StepContext) => T | PromiseLike<T>

/** The handle a workflow function receives: the run's identity and its checkpointed `step`. */
export interface WorkflowRun<I = any, S = any> {
  readonly runId: string
  readonly workflowName: string
  readonly input: I
  /** The run lease's epoch: 1 on the first invocation, bumped by every resume. */
  readonly attempt: number
  /** Steps this invocation served from checkpoints, in order. */
  readonly replayed: ReadonlyArray<string>
  /** Steps this invocation executed and checkpointed, in order. */
  readonly executed: ReadonlyArray<string>
  step<T>(name: string, fn: StepFn<T>): Promise<T>
  step<T>(name: string, options: StepOptions<T>, fn: StepFn<T>): Promise<T>
  /** The run's state (typed by `S`, encoded by the run's `stateSchema` when given). */
  readonly state: WorkflowState<S>
  /** A labeled version holding `state`, in the stream of `options.target` (`type:id`; the run's own by default). */
  snapshot(label: string, state: unknown, options?: SnapshotOptions): Promise<StateVersion>
  /**
   * Pauses at the approval gate `name` until a person decides it (or its timeout does) and
   * answers the decision; a resumed run reaching a decided gate gets it at once, without waiting.
   */
  gate(name: string, prompt: string, options?: GateOptions): Promise<GateDecided>
  /** Opens the gate `name` (or finds it) without waiting: `pending`, or `decided` with the decision. */
  openGate(name: string, prompt: string, options?: GateOptions): Promise<GateState>
  /**
   * Makes the child run `name` (once, however often the parent is resumed) and answers its result;
   * a workflow of that name registered with `tide.workflow` runs it here, otherwise this waits for
   * whichever worker runs it. Rejects with ChildRunFailedError if the child fails or is cancelled.
   */
  child<T = unknown>(name: string, workflowName: string, input?: unknown, options?: ChildOptions): Promise<T>
  /** Makes every child (each once), then waits for all: their results in the order given. */
  fanout<T = unknown>(children: ReadonlyArray<ChildSpec>): Promise<Array<T>>
  readonly usage: {
    /**
     * Adds a record to the run's usage ledger, counted once even when the request is retried; a
     * step replayed from its checkpoint does not run again, so it records nothing again.
     */
    record(fields: UsageFields): Promise<UsageRecorded>
  }
}

/**
 * The step whose function is running, for the state writes and usage records it makes: a step's
 * function is a promise chain outside any fiber, so the fiber's CurrentStep is carried into it here.
 */
const steps = new AsyncLocalStorage<StepScope | null>()

/** Runs the workflow function outside any step, whatever async context the runtime calls it from. */
export const outsideSteps = <A>(fn: () => A): A => steps.run(null, fn)

const currentStep = Effect.sync(() => steps.getStore() ?? null)

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

type RunPromise = <A>(effect: Effect.Effect<A, unknown>) => Promise<A>

/**
 * The run's effects as promises, each its own fiber: `signal` (the run's, aborted when the run is
 * cancelled) interrupts the ones in flight, a step's function included.
 */
const promiseIn = (signal: AbortSignal | undefined): RunPromise => (effect) =>
  Effect.runPromiseExit(effect, signal === undefined ? undefined : { signal }).then(settle)

/** Runs a child run in this process when its workflow is registered here; `undefined` when it is not. */
export type RunChildHere = (workflowName: string, runId: string) => Promise<unknown> | undefined

const isOver = (status: string) => status === "completed" || status === "failed" || status === "cancelled"

/**
 * Runs the child here when its workflow is registered and it is not over (a child another worker
 * holds, or that fails, is then simply waited for), and answers its outcome as the server has it.
 */
const finish = async (toPromise: RunPromise, context: RunContext, runChildHere: RunChildHere, spec: ChildSpec, made: MadeChild) => {
  const here = isOver(made.run.status) ? undefined : outsideSteps(() => runChildHere(spec.workflowName, made.run.id))
  if (here === undefined) return toPromise(joinChild(context, spec, made))
  await here.catch(() => undefined)
  return toPromise(Effect.flatMap(createChild(context, spec), (again) => joinChild(context, spec, again)))
}

const makeAndJoin = async (toPromise: RunPromise, context: RunContext, runChildHere: RunChildHere, spec: ChildSpec) =>
  finish(toPromise, context, runChildHere, spec, await toPromise(createChild(context, spec)))

export const makeWorkflowRun = <I, S = any>(
  context: RunContext,
  stateSchema?: Schema.Schema<S, any, never>,
  runChildHere: RunChildHere = () => undefined,
  runSignal?: AbortSignal
): WorkflowRun<I, S> => {
  const toPromise = promiseIn(runSignal)
  const names = (outcome: "replayed" | "executed") =>
    context.journal.filter((r) => r.outcome === outcome).map((r) => r.name)
  const state = bindState(context, currentStep, stateSchema)
  const usage = bindUsage(context, currentStep)
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
    step<T>(name: string, optionsOrFn: StepOptions<T> | StepFn<T>, maybeFn?: StepFn<T>) {
      const [options, fn] = maybeFn === undefined
        ? [{}, optionsOrFn as StepFn<T>]
        : [optionsOrFn as StepOptions<T>, maybeFn]
      const effectOptions = toEffectOptions(options)
      // Replaying a prefetched checkpoint needs no fiber and no round trip: a long resume stays cheap.
      const replayed = Workflow.fromCheckpoint(context, name, effectOptions)
      if (replayed !== undefined) return new Promise<T>((resolve) => resolve(settle(replayed)))
      const body = Effect.flatMap(FiberRef.get(CurrentStep), (scope) =>
        // Interrupted (the run was cancelled), the promise is abandoned and `signal` aborts: a late result is never recorded.
        Effect.tryPromise({ try: (signal) => steps.run(scope, async () => await fn({ signal })), catch: (error) => error }))
      return toPromise(Workflow.executeStep(context, name, effectOptions, body))
    },
    state: {
      set: (value, options) => toPromise(state.set(value, options)),
      patch: (partial, options) => toPromise(state.patch(partial, options)),
      get: (options) => toPromise(Effect.map(state.get(options), Option.getOrUndefined)),
      save: (label, options) => toPromise(state.save(label, options)),
      versions: (options) => toPromise(state.versions(options))
    },
    snapshot: (label, value, options) => toPromise(createSnapshot(context, currentStep, label, value, options)),
    gate: (name, prompt, options) => toPromise(awaitGate(context, name, prompt, options)),
    openGate: (name, prompt, options) => toPromise(openGate(context, name, prompt, options)),
    child: <T>(name: string, workflowName: string, input?: unknown, options?: ChildOptions) =>
      makeAndJoin(toPromise, context, runChildHere, { name, workflowName, input, ...(options === undefined ? {} : { options }) }) as Promise<T>,
    fanout: async <T>(children: ReadonlyArray<ChildSpec>) => {
      const made = await Promise.all(children.map((spec) => toPromise(createChild(context, spec))))
      return await Promise.all(children.map((spec, i) => finish(toPromise, context, runChildHere, spec, made[i]!))) as Array<T>
    },
    usage: {
      record: (fields) => toPromise(usage.record(fields))
    }
  }
}
