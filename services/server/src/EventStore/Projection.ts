import type { SqlError } from "@effect/sql"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import type { Effect } from "effect"

/** What one append did to a stream: the events, and the aggregate before and after them. */
export interface StreamChange {
  readonly streamId: string
  readonly events: ReadonlyArray<RunEvent>
  readonly before: RunAggregate
  readonly after: RunAggregate
}

/**
 * An inline read model: applied in the append's transaction, so anything a later decision
 * reads is consistent with the events; `tables` are what a rebuild truncates and refolds.
 */
export interface Projection {
  readonly name: string
  readonly tables: ReadonlyArray<string>
  readonly apply: (change: StreamChange) => Effect.Effect<void, SqlError.SqlError>
}
