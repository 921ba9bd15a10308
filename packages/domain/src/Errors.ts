import { Data } from "effect"
import type { RunState, StepState } from "./Run.js"

export class RunNotFound extends Data.TaggedError("RunNotFound")<{ readonly runId: string }> {}
export class RunCancelled extends Data.TaggedError("RunCancelled")<{ readonly run: RunState }> {}
/** Another owner's run lease is live. */
export class LeaseHeld extends Data.TaggedError("LeaseHeld")<{ readonly leaseOwner: string }> {}
/** The caller's lease was taken over, reclaimed or never existed: its write is fenced off. */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{
  readonly run: RunState
  readonly step?: StepState
}> {}
export class StepNotFound extends Data.TaggedError("StepNotFound")<{ readonly stepId: string }> {}

export type DomainError = RunNotFound | RunCancelled | LeaseHeld | LeaseLost | StepNotFound
