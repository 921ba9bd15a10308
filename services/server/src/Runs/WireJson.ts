import { upcasts } from "@tidebase/domain"

/**
 * Wire objects built by Postgres as JSON text, for reads that return many rows: the server
 * neither decodes the rows nor re-encodes them. Field names and timestamp format match what
 * the api package's Schemas produce (ISO-8601, milliseconds, `Z`).
 */
export const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

const object = (fields: ReadonlyArray<readonly [string, string]>) =>
  `json_build_object(${fields.map(([name, sql]) => `'${name}', ${sql}`).join(", ")})`

export const runJson = (r: string) =>
  object([
    ["id", `${r}.id`],
    ["workflowName", `${r}.workflow_name`],
    ["input", `coalesce(${r}.input, '{}'::jsonb)`],
    ["metadata", `coalesce(${r}.metadata, '{}'::jsonb)`],
    ["status", `${r}.status`],
    ["result", `${r}.result`],
    ["error", `${r}.error`],
    ["recoveryWebhook", `${r}.recovery_webhook`],
    ["leaseOwner", `${r}.lease_owner`],
    ["leaseExpiresAt", iso(`${r}.lease_expires_at`)],
    ["attempt", `${r}.attempt`],
    ["queue", `${r}.queue`],
    ["dedupeKey", `${r}.dedupe_key`],
    ["priority", `${r}.priority`],
    ["runAt", iso(`${r}.run_at`)],
    ["maxAttempts", `${r}.max_attempts`],
    ["deadlineAt", iso(`${r}.deadline_at`)],
    // A cancel takes effect when requested; the column is there for a future two-phase cancel.
    ["cancelRequestedAt", iso(`coalesce(${r}.cancel_requested_at, ${r}.cancelled_at)`)],
    ["cancelledAt", iso(`${r}.cancelled_at`)],
    ["cancelReason", `${r}.cancel_reason`],
    ["cancelActor", `${r}.cancel_actor`],
    ["failureClass", `${r}.failure_class`],
    ["createdAt", iso(`${r}.created_at`)],
    ["updatedAt", iso(`${r}.updated_at`)],
    ["completedAt", iso(`${r}.completed_at`)],
    ["budget", `${r}.budget`],
    ["usageTotals", object([
      ["inputTokens", `${r}.input_tokens`],
      ["outputTokens", `${r}.output_tokens`],
      ["totalTokens", `${r}.total_tokens`],
      ["costUsd", `${r}.cost_usd`]
    ])]
  ])

export const stepJson = (s: string) =>
  object([
    ["id", `${s}.id`],
    ["runId", `${s}.run_id`],
    ["name", `${s}.name`],
    ["seq", `${s}.seq`],
    ["inputHash", `${s}.input_hash`],
    ["input", `${s}.input`],
    ["options", `${s}.options`],
    ["resumeContract", `${s}.resume_contract`],
    ["status", `${s}.status`],
    ["output", `${s}.output`],
    ["error", `${s}.error`],
    ["resumeDecision", `${s}.resume_decision`],
    ["leaseOwner", `${s}.lease_owner`],
    ["leaseExpiresAt", iso(`${s}.lease_expires_at`)],
    ["attempt", `${s}.attempt`],
    ["resolution", `${s}.resolution`],
    ["resolvedBy", `${s}.resolved_by`],
    ["resolutionReason", `${s}.resolution_reason`],
    ["resolvedAt", iso(`${s}.resolved_at`)],
    ["startedAt", iso(`${s}.started_at`)],
    ["completedAt", iso(`${s}.completed_at`)],
    ["createdAt", iso(`${s}.created_at`)],
    ["updatedAt", iso(`${s}.updated_at`)]
  ])

export const stateJson = (t: string) =>
  object([
    ["runId", `${t}.run_id`],
    ["value", `${t}.current_value`],
    ["version", `${t}.current_version`],
    ["updatedAt", iso(`${t}.updated_at`)],
    ["stream", `${t}.name`]
  ])

export const stateStreamJson = (t: string) =>
  object([
    ["id", `${t}.id`],
    ["runId", `${t}.run_id`],
    ["name", `${t}.name`],
    ["targetType", `${t}.target_type`],
    ["targetId", `${t}.target_id`],
    ["currentVersion", `${t}.current_version`],
    ["currentValue", `${t}.current_value`],
    ["metadata", `${t}.metadata`],
    ["createdAt", iso(`${t}.created_at`)],
    ["updatedAt", iso(`${t}.updated_at`)]
  ])

export const stateVersionJson = (v: string) =>
  object([
    ["id", `${v}.id`],
    ["streamId", `${v}.stream_id`],
    ["runId", `${v}.run_id`],
    ["stream", `${v}.stream`],
    ["stepId", `${v}.step_id`],
    ["version", `${v}.version`],
    ["value", `${v}.value`],
    ["patch", `${v}.patch`],
    ["label", `${v}.label`],
    ["reason", `${v}.reason`],
    ["importance", `${v}.importance`],
    ["metadata", `${v}.metadata`],
    ["createdBy", `${v}.created_by`],
    ["createdAt", iso(`${v}.created_at`)]
  ])

export const usageJson = (u: string) =>
  object([
    ["id", `${u}.id`],
    ["runId", `${u}.run_id`],
    ["stepId", `${u}.step_id`],
    ["kind", `${u}.kind`],
    ["provider", `${u}.provider`],
    ["model", `${u}.model`],
    ["label", `${u}.label`],
    ["quantity", `${u}.quantity`],
    ["unit", `${u}.unit`],
    ["inputTokens", `${u}.input_tokens`],
    ["outputTokens", `${u}.output_tokens`],
    ["totalTokens", `${u}.total_tokens`],
    ["costUsd", `${u}.cost_usd`],
    ["metadata", `${u}.metadata`],
    ["idempotencyKey", `${u}.idempotency_key`],
    ["createdAt", iso(`${u}.created_at`)]
  ])

/** A gate with its resolve token (`token`: the SQL that derives it, see GateTokens). */
export const gateJson = (g: string, token: string) =>
  object([
    ["id", `${g}.id`],
    ["runId", `${g}.run_id`],
    ["name", `${g}.name`],
    ["prompt", `${g}.prompt`],
    ["data", `${g}.data`],
    ["status", `${g}.status`],
    ["decision", `${g}.decision`],
    ["actor", `${g}.actor`],
    ["decisionPayload", `${g}.decision_payload`],
    ["capability", `${g}.capability`],
    ["channels", `${g}.channels`],
    ["timeoutAt", iso(`${g}.timeout_at`)],
    ["defaultDecision", `${g}.default_decision`],
    ["createdAt", iso(`${g}.created_at`)],
    ["updatedAt", iso(`${g}.updated_at`)],
    ["resolvedAt", iso(`${g}.resolved_at`)],
    ["resolveToken", token]
  ])

/** Stored types are upcast on the way out, as `fromStored` does for folds. */
export const eventType = (e: string) => {
  const renamed = Object.entries(upcasts)
  return renamed.length === 0
    ? `${e}.type`
    : `case ${e}.type ${renamed.map(([from, to]) => `when '${from}' then '${to}'`).join(" ")} else ${e}.type end`
}

export const eventJson = (e: string) =>
  object([
    ["id", `${e}.position::text`],
    ["runId", `${e}.stream_id`],
    ["seq", `${e}.seq`],
    ["position", `${e}.position`],
    ["type", eventType(e)],
    ["payload", `${e}.payload`],
    ["createdAt", iso(`${e}.created_at`)]
  ])

/** A JSON array of `element` over `from`, `[]` when there is no row. */
export const edgeJson = (e: string) =>
  object([
    ["id", `${e}.id`],
    ["parentRunId", `${e}.parent_run_id`],
    ["childRunId", `${e}.child_run_id`],
    ["name", `${e}.name`],
    ["edgeType", `${e}.edge_type`],
    ["metadata", `${e}.metadata`],
    ["createdAt", iso(`${e}.created_at`)]
  ])

export const recoveryJson = (a: string) =>
  object([
    ["id", `${a}.id`],
    ["runId", `${a}.run_id`],
    ["url", `${a}.url`],
    ["reason", `${a}.reason`],
    ["status", `${a}.status`],
    ["tries", `${a}.tries`],
    ["nextAttemptAt", iso(`${a}.next_attempt_at`)],
    ["httpStatus", `${a}.http_status`],
    ["responseBody", `${a}.response_body`],
    ["error", `${a}.error`],
    ["createdAt", iso(`${a}.created_at`)],
    ["updatedAt", iso(`${a}.updated_at`)]
  ])

export const deliveryJson = (d: string) =>
  object([
    ["id", `${d}.id`],
    ["runId", `${d}.run_id`],
    ["source", `${d}.source`],
    ["gateId", `${d}.gate_id`],
    ["url", `${d}.url`],
    ["eventType", `${d}.event_type`],
    ["status", `${d}.status`],
    ["tries", `${d}.tries`],
    ["nextAttemptAt", iso(`${d}.next_attempt_at`)],
    ["httpStatus", `${d}.http_status`],
    ["responseBody", `${d}.response_body`],
    ["error", `${d}.error`],
    ["createdAt", iso(`${d}.created_at`)],
    ["updatedAt", iso(`${d}.updated_at`)]
  ])

export const jsonArray = (element: string, from: string) => `coalesce((select json_agg(${element}) from ${from}), '[]'::json)`
