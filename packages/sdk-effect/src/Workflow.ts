import { Effect } from "effect"
import type { WorkflowError } from "./Errors.js"
import type { RunOptions } from "./Run.js"
import { CurrentRun } from "./RunContext.js"
import type { StepRecord } from "./RunContext.js"
import { Tidebase } from "./Tidebase.js"

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
