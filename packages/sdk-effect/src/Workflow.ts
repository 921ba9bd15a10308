import type { State, StateVersion } from "@tidebase/api"
import { Effect } from "effect"
import type { Option, Schema } from "effect"
import type { StateNotFoundError, TidebaseRequestError, WorkflowError } from "./Errors.js"
import type { RunOptions } from "./Run.js"
import { createChild, joinChild } from "./Child.js"
import type { ChildError, ChildOptions, ChildSpec } from "./Child.js"
import { awaitGate } from "./Gate.js"
import type { GateDecided, GateError, GateOptions } from "./Gate.js"
import { CurrentRun } from "./RunContext.js"
import type { StepRecord } from "./RunContext.js"
import { bindState, createSnapshot } from "./State.js"
import type {
  BoundState,
  GetStateOptions,
  SaveStateOptions,
  SnapshotOptions,
  StatePatch,
  StateVersionsOptions,
  StateWriteError,
  StateWriteOptions
} from "./State.js"
import { currentStep } from "./StepScope.js"
import { Tidebase } from "./Tidebase.js"
import { bindUsage } from "./Usage.js"
import type { UsageFields, UsageRecorded } from "./Usage.js"

export { executeStep, fromCheckpoint, step } from "./Step.js"
export type { StepError } from "./Step.js"

/** Run (or resume, by `runId`) a workflow with the `Tidebase` service from context. */
export const run = <A, E, R>(
  workflowName: string,
  options: RunOptions<A>,
  body: (input: any) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | WorkflowError, Exclude<R, CurrentRun> | Tidebase> =>
  Effect.flatMap(Tidebase, (tide) => tide.run(workflowName, options, body))

/** The current run's id. */
export const runId: Effect.Effect<string, never, CurrentRun> = Effect.map(CurrentRun, (run) => run.runId)

/** Which steps this invocation served from checkpoints and which it executed, in order. */
export const journal: Effect.Effect<ReadonlyArray<StepRecord>, never, CurrentRun> = Effect.map(
  CurrentRun,
  (run) => [...run.journal]
)

/** The current run's state, as Effects; each write made inside a step carries the step. */
export interface StateHandle<A> {
  readonly set: (value: A, options?: StateWriteOptions) => Effect.Effect<State, StateWriteError, CurrentRun>
  readonly patch: (partial: StatePatch<A>, options?: StateWriteOptions) => Effect.Effect<State, StateWriteError, CurrentRun>
  readonly get: (options?: GetStateOptions) => Effect.Effect<Option.Option<A>, TidebaseRequestError, CurrentRun>
  readonly save: (
    label: string,
    options?: SaveStateOptions
  ) => Effect.Effect<StateVersion, StateWriteError | StateNotFoundError, CurrentRun>
  readonly versions: (options?: StateVersionsOptions) => Effect.Effect<ReadonlyArray<StateVersion>, TidebaseRequestError, CurrentRun>
}

/**
 * The run's live state (its own stream, or the one `stream` names), versioned on every write. With
 * a Schema the value is encoded before it is stored and decoded by `get`, so a Date or a branded
 * value comes back as itself; without one it is JSON.
 */
export const state: {
  (): StateHandle<unknown>
  <A, I>(schema: Schema.Schema<A, I, never>): StateHandle<A>
} = <A>(schema?: Schema.Schema<A, any, never>): StateHandle<A> => {
  const bound = <B, E>(use: (state: BoundState<A>) => Effect.Effect<B, E>) =>
    Effect.flatMap(CurrentRun, (run) => use(bindState(run, currentStep, schema)))
  return {
    set: (value, options) => bound((s) => s.set(value, options)),
    patch: (partial, options) => bound((s) => s.patch(partial, options)),
    get: (options) => bound((s) => s.get(options)),
    save: (label, options) => bound((s) => s.save(label, options)),
    versions: (options) => bound((s) => s.versions(options))
  }
}

/** A labeled version holding `value`, in the stream of `options.target` (`type:id`; the run's own by default). */
export const snapshot = (
  label: string,
  value: unknown,
  options?: SnapshotOptions
): Effect.Effect<StateVersion, StateWriteError, CurrentRun> =>
  Effect.flatMap(CurrentRun, (run) => createSnapshot(run, currentStep, label, value, options))

/**
 * Adds a record to the run's usage ledger, tied to the step it is made in. Over the run's budget,
 * the answer says so and the run's next step stops it with `BudgetExceededError`.
 */
export const recordUsage = (fields: UsageFields): Effect.Effect<UsageRecorded, TidebaseRequestError, CurrentRun> =>
  Effect.flatMap(CurrentRun, (run) => bindUsage(run, currentStep).record(fields))

/**
 * Pauses the run at the approval gate `name` until a person decides it (or its timeout does), and
 * answers the decision. Exactly once: a resumed run that reaches a decided gate gets the same
 * decision at once, without waiting.
 */
export const gate = (name: string, prompt: string, options?: GateOptions): Effect.Effect<GateDecided, GateError, CurrentRun> =>
  Effect.flatMap(CurrentRun, (run) => awaitGate(run, name, prompt, options))

/**
 * Makes the child run `name` (once per parent and name, whatever the number of invocations) and
 * waits for its result, woken by the child's own events. Any worker may run the child.
 */
export const child = (
  name: string,
  workflowName: string,
  input?: unknown,
  options?: ChildOptions
): Effect.Effect<unknown, ChildError, CurrentRun> =>
  Effect.flatMap(CurrentRun, (run) => {
    const spec: ChildSpec = { name, workflowName, input, ...(options === undefined ? {} : { options }) }
    return Effect.flatMap(createChild(run, spec), (made) => joinChild(run, spec, made))
  })

/** Makes every child first (concurrently, each once), then waits for all of them: results in the order given. */
export const fanout = (children: ReadonlyArray<ChildSpec>): Effect.Effect<Array<unknown>, ChildError, CurrentRun> =>
  Effect.flatMap(CurrentRun, (run) =>
    Effect.forEach(children, (spec) => createChild(run, spec), { concurrency: "unbounded" }).pipe(
      Effect.flatMap((made) => Effect.forEach(children, (spec, i) => joinChild(run, spec, made[i]!), { concurrency: "unbounded" }))
    ))

