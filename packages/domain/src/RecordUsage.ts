import { Either } from "effect"
import { requireRun } from "./Decide.js"
import type { RunNotFound } from "./Errors.js"
import { RunBudgetUpdated, RunFailed, UsageRecorded } from "./Events.js"
import type { RunEvent } from "./Events.js"
import type { Budget, Usage } from "./Records.js"
import type { RunAggregate, RunState } from "./Run.js"

/** The failure class of a run stopped by its budget; re-invoking after raising the budget resumes it. */
export const BUDGET_EXCEEDED = "budget_exceeded"

export interface RecordUsage {
  readonly runId: string
  readonly usage: Omit<Usage, "id" | "runId" | "createdAt" | "totalTokens" | "kind"> & {
    readonly kind?: string | undefined
    readonly totalTokens: number | null
  }
  readonly newUsageId: string
  readonly now: number
}

/** `totalTokens` is input + output unless the caller gave it; null when neither count was given. */
export const deriveTotalTokens = (u: { readonly inputTokens: number | null; readonly outputTokens: number | null; readonly totalTokens: number | null }) =>
  u.totalTokens ?? (u.inputTokens === null && u.outputTokens === null ? null : (u.inputTokens ?? 0) + (u.outputTokens ?? 0))

export type UsageOutcome = { readonly usage: Usage; readonly events: ReadonlyArray<RunEvent> }

/**
 * Records usage whatever the run's status or lease: the cost was incurred, so the ledger takes it
 * (a fenced-out worker's LLM call was still billed). A record whose idempotency key the run has
 * already seen is answered with the first record and appends nothing.
 */
export const decideRecordUsage = (state: RunAggregate, cmd: RecordUsage) =>
  Either.map(requireRun(state, cmd.runId), (): UsageOutcome => {
    const key = cmd.usage.idempotencyKey
    const seen = key === null ? undefined : state.usage.get(key)
    if (seen !== undefined) return { usage: seen, events: [] }
    const createdAt = new Date(cmd.now).toISOString()
    const usage: Usage = {
      ...cmd.usage,
      id: cmd.newUsageId,
      runId: cmd.runId,
      kind: cmd.usage.kind ?? "custom",
      totalTokens: deriveTotalTokens(cmd.usage),
      createdAt
    }
    return { usage, events: [new UsageRecorded({ usage, at: createdAt })] }
  })

export interface SetBudget {
  readonly runId: string
  /** null clears it. */
  readonly budget: Budget | null
  readonly now: number
}

const sameBudget = (a: Budget | null, b: Budget | null) =>
  a === b || (a !== null && b !== null && a.maxCostUsd === b.maxCostUsd && a.maxTotalTokens === b.maxTotalTokens)

export const decideSetBudget = (state: RunAggregate, cmd: SetBudget): Either.Either<ReadonlyArray<RunEvent>, RunNotFound> =>
  Either.map(requireRun(state, cmd.runId), (run) =>
    sameBudget(run.budget, cmd.budget) ? [] : [new RunBudgetUpdated({ budget: cmd.budget, at: new Date(cmd.now).toISOString() })])

/** Over budget means past a limit, not at it: a run may spend exactly what it was given. */
export const isOverBudget = (run: RunState): boolean =>
  run.budget !== null &&
  ((run.budget.maxCostUsd !== null && run.costUsd > run.budget.maxCostUsd) ||
    (run.budget.maxTotalTokens !== null && run.totalTokens > run.budget.maxTotalTokens))

/**
 * What stopping an over-budget run appends: its failure, once (a run already stopped for it
 * appends nothing more). A person raises the budget and re-invokes it to go on.
 */
export const budgetStop = (run: RunState, now: number): ReadonlyArray<RunEvent> =>
  run.status === "failed" && run.failureClass === BUDGET_EXCEEDED
    ? []
    : [
      new RunFailed({
        error: {
          code: BUDGET_EXCEEDED,
          message: `run ${run.id} is over its budget (${spent(run)}); raise the budget and re-invoke it to resume`,
          resumeDecision: "manual_review",
          budget: run.budget,
          usage: { costUsd: run.costUsd, totalTokens: run.totalTokens }
        },
        failureClass: BUDGET_EXCEEDED,
        at: new Date(now).toISOString()
      })
    ]

const spent = (run: RunState) => {
  const parts: Array<string> = []
  if (run.budget?.maxCostUsd != null) parts.push(`$${run.costUsd} of $${run.budget.maxCostUsd}`)
  if (run.budget?.maxTotalTokens != null) parts.push(`${run.totalTokens} of ${run.budget.maxTotalTokens} tokens`)
  return parts.join(", ")
}
