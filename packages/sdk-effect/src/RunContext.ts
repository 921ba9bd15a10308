import type { Checkpoint } from "@tidebase/api"
import type { ResumeDecision } from "@tidebase/domain"
import { Context } from "effect"
import type { TidebaseClient } from "./TidebaseClient.js"

export type StepOutcome = "replayed" | "executed"

export interface StepRecord {
  readonly name: string
  readonly outcome: StepOutcome
}

/** The run a workflow body is executing: its lease, the prefetched checkpoints and what this invocation did. */
export interface RunContext {
  readonly runId: string
  readonly workflowName: string
  readonly input: unknown
  /** The run lease's owner and fencing epoch, sent on every write. */
  readonly leaseOwner: string
  readonly leaseEpoch: number
  readonly client: Context.Tag.Service<TidebaseClient>
  readonly checkpoints: ReadonlyMap<string, Checkpoint>
  /** Steps in the order this invocation finished them. */
  readonly journal: Array<StepRecord>
  /** Final step failures by their error value, so the run records the decision even when the caller rethrows the bare error. */
  readonly failures: Map<unknown, { readonly step: string; readonly resumeDecision: ResumeDecision }>
  /**
   * The run went over its budget (as begun, or as a usage record answered): its next step takes
   * the step lease first, so the server stops the run before the step's function runs.
   */
  overBudget: boolean
  /** Opens the run's cancel watch (once): called when a step runs long enough for a cancel to be worth hearing mid-way. */
  readonly watchCancel: () => void
}

export class CurrentRun extends Context.Tag("@tidebase/effect/CurrentRun")<CurrentRun, RunContext>() {}
