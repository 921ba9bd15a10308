import type { SqlError } from "@effect/sql/SqlError"

/**
 * The only failures that mean "another writer got there first; decide again on fresh state".
 * `events_stream_seq` is the expected-version key itself; the others are read-model keys that a
 * projection's write can hit before the events insert does, in the same racing statement.
 */
export const RACE_CONSTRAINTS: ReadonlySet<string> = new Set([
  "events_stream_seq",
  "runs_pkey",
  "steps_run_id_name_key",
  "steps_run_seq",
  "state_streams_run_id_name_key",
  "state_versions_run_id_stream_version_key",
  "usage_run_key",
  "gates_run_id_name_key",
  "run_edges_parent_run_id_name_key",
  "run_edges_child_run_id_key",
  // Two enqueues of one (queue, dedupeKey): the loser decides again and finds the winner's run.
  "runs_queue_dedupe_active",
  "queues_pkey",
  "schedules_pkey",
  // A stalled run's call has an id of its own making (run and lease epoch): two reconcilers race on it.
  "recovery_attempts_pkey"
])

const UNIQUE_VIOLATION = "23505"
/** Two multi-stream appends can wait on each other; Postgres aborts one of them. */
const DEADLOCK = "40P01"

export const isLostRace = (error: SqlError): boolean => {
  const cause = error.cause as { readonly code?: string; readonly constraint?: string } | undefined
  if (cause?.code === DEADLOCK) return true
  return cause?.code === UNIQUE_VIOLATION && cause.constraint !== undefined && RACE_CONSTRAINTS.has(cause.constraint)
}
