import type { Run, Step } from "@tidebase/api"
import type { RunState } from "@tidebase/domain"

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/**
 * Rows fetched as `to_jsonb(row)` (to load a run and its step in one round trip) come with
 * snake_case keys and Postgres's timestamp text; this gives them the shape column reads have.
 */
export const fromJsonRow = <A>(row: Record<string, unknown>): A => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    const name = camel(key)
    out[name] = name.endsWith("At") && typeof value === "string" ? new Date(value).toISOString() : value
  }
  return out as A
}

/** A `run_read` row: the wire Run's columns (its usage totals flat) plus those the wire does not show. */
export type RunRow = Omit<Run, "usageTotals"> & {
  readonly channels: unknown
  readonly inputTokens: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly costUsd: number
  readonly claims: number
  readonly claimedAt: string | null
}
/** A `steps` row: the wire Step plus the run lease epoch it was started under. */
export type StepRow = Step & { readonly runEpoch: number | null }

export const toRunState = (row: RunRow): RunState => ({
  id: row.id,
  workflowName: row.workflowName,
  input: row.input,
  metadata: row.metadata,
  recoveryWebhook: row.recoveryWebhook,
  channels: row.channels ?? null,
  status: row.status,
  result: row.result,
  error: row.error,
  failureClass: row.failureClass,
  leaseOwner: row.leaseOwner,
  leaseExpiresAt: row.leaseExpiresAt,
  attempt: row.attempt,
  budget: row.budget ?? null,
  inputTokens: row.inputTokens,
  outputTokens: row.outputTokens,
  totalTokens: row.totalTokens,
  costUsd: row.costUsd,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  completedAt: row.completedAt,
  cancelledAt: row.cancelledAt,
  cancelReason: row.cancelReason,
  cancelActor: row.cancelActor,
  deadlineAt: row.deadlineAt,
  queue: row.queue,
  dedupeKey: row.dedupeKey,
  priority: row.priority,
  runAt: row.runAt,
  maxAttempts: row.maxAttempts,
  claims: row.claims ?? 0,
  claimedAt: row.claimedAt ?? null
})

/** A run as the wire shows it, from the aggregate's state. */
export const wireRunFromState = (run: RunState): Run => ({
  id: run.id,
  workflowName: run.workflowName,
  input: run.input ?? {},
  metadata: run.metadata ?? {},
  status: run.status,
  result: run.result,
  error: run.error,
  recoveryWebhook: run.recoveryWebhook,
  leaseOwner: run.leaseOwner,
  leaseExpiresAt: run.leaseExpiresAt,
  attempt: run.attempt,
  queue: run.queue,
  dedupeKey: run.dedupeKey,
  priority: run.priority,
  runAt: run.runAt,
  maxAttempts: run.maxAttempts,
  deadlineAt: run.deadlineAt,
  // A cancel takes effect when it is requested: there is no in-between state to show.
  cancelRequestedAt: run.cancelledAt,
  cancelledAt: run.cancelledAt,
  cancelReason: run.cancelReason,
  cancelActor: run.cancelActor,
  failureClass: run.failureClass,
  createdAt: run.createdAt,
  updatedAt: run.updatedAt,
  completedAt: run.completedAt,
  budget: run.budget,
  usageTotals: { inputTokens: run.inputTokens, outputTokens: run.outputTokens, totalTokens: run.totalTokens, costUsd: run.costUsd }
})
