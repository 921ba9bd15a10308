import { Schema } from "effect"

export const ReplayMode = Schema.Literal("auto", "manual", "never")
export type ReplayMode = typeof ReplayMode.Type

export const ResumeDecision = Schema.Literal("auto_retry", "manual_review", "fail_hard", "safe_replay")
export type ResumeDecision = typeof ResumeDecision.Type

export const StepStatus = Schema.Literal("running", "completed", "failed_retryable", "manual_review", "failed")
export type StepStatus = typeof StepStatus.Type

export const ResumeContract = Schema.Struct({
  sideEffects: Schema.Array(Schema.String),
  idempotencyKey: Schema.NullOr(Schema.String),
  replay: ReplayMode,
  checkpointInvariant: Schema.NullOr(Schema.String),
  verifiedBy: Schema.NullOr(Schema.String),
  credentials: Schema.Array(Schema.String)
})
export type ResumeContract = typeof ResumeContract.Type

const strings = (v: unknown): ReadonlyArray<string> =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : typeof v === "string" ? [v] : []
const stringOrNull = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null)

/** Step options arrive as free-form JSON from any client; the contract keeps only what replay decisions use. */
export const normaliseResumeContract = (options: unknown): ResumeContract => {
  const o = (options !== null && typeof options === "object" ? options : {}) as Record<string, unknown>
  const replay = o.replay === "manual" || o.replay === "never" ? o.replay : "auto"
  return {
    sideEffects: strings(o.sideEffects ?? o.side_effects),
    idempotencyKey: stringOrNull(o.idempotencyKey ?? o.idempotency_key),
    replay,
    checkpointInvariant: stringOrNull(o.checkpointInvariant ?? o.checkpoint_invariant),
    verifiedBy: stringOrNull(o.verifiedBy ?? o.verified_by),
    credentials: strings(o.credentials)
  }
}

/** The replay contract: how a step's final failure may be resumed. */
export const finalFailureDecision = (contract: ResumeContract): ResumeDecision => {
  if (contract.replay === "never") return "fail_hard"
  const externalWrites = contract.sideEffects.some((effect) => effect !== "read")
  if (contract.replay === "manual" || (externalWrites && contract.idempotencyKey === null)) return "manual_review"
  return "safe_replay"
}

export const statusForDecision = (decision: ResumeDecision): StepStatus => {
  switch (decision) {
    case "auto_retry":
      return "failed_retryable"
    case "manual_review":
      return "manual_review"
    case "fail_hard":
    case "safe_replay":
      return "failed"
  }
}
