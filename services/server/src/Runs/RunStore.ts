import { SqlClient } from "@effect/sql"
import type { RunAggregate, StepState } from "@tidebase/domain"
import { Effect } from "effect"
import { fromJsonRow, toRunState, toStepState } from "./Rows.js"
import type { RunRow, StepRow } from "./Rows.js"

/** Which of the run's steps a command touches: only those are loaded. */
export type StepSelector = { readonly name: string } | { readonly id: string } | undefined

export class RunStore extends Effect.Service<RunStore>()("Tidebase/RunStore", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /**
     * Locks the run's stream head for the rest of the transaction and loads the aggregate
     * from the inline read models, in one round trip. `undefined` when the stream is unknown.
     */
    const lock = Effect.fn("RunStore.lock")(function*(runId: string, step: StepSelector) {
      const stepName = step !== undefined && "name" in step ? step.name : null
      const stepId = step !== undefined && "id" in step ? step.id : null
      const rows = yield* sql<{ version: number; run: Record<string, unknown> | null; step: Record<string, unknown> | null }>`
        select * from tidebase_lock_run(${runId}, ${stepName}, ${stepId})`
      const row = rows[0]
      if (row === undefined) return undefined
      const steps = new Map<string, StepState>()
      if (row.step !== null) {
        const loaded = toStepState(fromJsonRow<StepRow>(row.step))
        steps.set(loaded.name, loaded)
      }
      const aggregate: RunAggregate = {
        version: row.version,
        run: row.run === null ? undefined : toRunState(fromJsonRow<RunRow>(row.run)),
        steps
      }
      return aggregate
    }, Effect.orDie)

    const renewLease = (runId: string, attempt: number, leaseExpiresAt: string) =>
      sql`
        insert into run_heartbeats (run_id, attempt, lease_expires_at) values (${runId}, ${attempt}, ${leaseExpiresAt})
        on conflict (run_id) do update set attempt = excluded.attempt, lease_expires_at = excluded.lease_expires_at`.pipe(
        Effect.asVoid,
        Effect.orDie
      )

    return { lock, renewLease } as const
  })
}) {}
