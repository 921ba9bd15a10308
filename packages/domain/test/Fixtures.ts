import { Either } from "effect"
import * as D from "../src/index.js"

export const T0 = Date.parse("2026-01-01T00:00:00Z")
export const RUN_ID = "run_1"

/** Run `run_1` of workflow `wf`, just created at T0. */
export const created = D.fold(D.decideCreate(D.emptyAggregate, {
  runId: RUN_ID,
  workflowName: "wf",
  input: {},
  metadata: {},
  recoveryWebhook: null,
  channels: null,
  now: T0
}))

/** Folds what a decision decided (it must have accepted). */
export const apply = (state: D.RunAggregate, decided: Either.Either<ReadonlyArray<D.RunEvent>, unknown>) =>
  D.fold(Either.getOrThrow(decided), state)

/** A steps/begin on `run_1` at T0, with no fence: override what the test decides on. */
export const beginStepCommand = (overrides: Partial<D.BeginStep> = {}): D.BeginStep => ({
  runId: RUN_ID,
  name: "plan",
  inputHash: "h1",
  input: null,
  options: {},
  fence: undefined,
  generatedOwner: "gen",
  newStepId: "step_1",
  leaseMs: 1000,
  now: T0,
  ...overrides
})
