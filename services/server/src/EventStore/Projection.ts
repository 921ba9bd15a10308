import type { Statement } from "@effect/sql"
import type { RunAggregate, RunEvent } from "@tidebase/domain"

/** What one append did to a stream: the events, and the aggregate before and after them. */
export interface StreamChange {
  readonly streamId: string
  readonly events: ReadonlyArray<RunEvent>
  readonly before: RunAggregate
  readonly after: RunAggregate
}

/**
 * An inline read model. Its writes for a change run inside the append's own statement
 * (as data-modifying CTEs), so anything a later decision reads is consistent with the
 * events at no extra round trip; `tables` are what a rebuild truncates and refolds.
 */
export interface Projection {
  readonly tables: ReadonlyArray<string>
  readonly writes: (change: StreamChange) => ReadonlyArray<Statement.Fragment>
}
