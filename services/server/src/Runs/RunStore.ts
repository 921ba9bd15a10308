import { SqlClient } from "@effect/sql"
import type { RunAggregate, StepState } from "@tidebase/domain"
import { Effect } from "effect"
import { fromJsonRow, toRunState } from "./Rows.js"
import type { RunRow, StepRow } from "./Rows.js"

/** Which of the run's steps a command touches: only those are loaded. */
export type StepSelector = { readonly name: string } | { readonly id: string } | undefined

export class RunStore extends Effect.Service<RunStore>()("Tidebase/RunStore", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /**
     * Loads the aggregate from the inline read models in one round trip, from one snapshot,
     * so `version` matches the rows. `undefined` when the stream does not exist.
     */
    const load = Effect.fnUntraced(function*(runId: string, step: StepSelector) {
      const stepName = step !== undefined && "name" in step ? step.name : null
      const stepId = step !== undefined && "id" in step ? step.id : null
      const rows = yield* sql<{ version: number; run: Record<string, unknown> | null; step: Record<string, unknown> | null }>`
        select * from tidebase_load_run(${runId}, ${stepName}, ${stepId})`
      const row = rows[0]
      if (row === undefined) return undefined
      const steps = new Map<string, StepState>()
      if (row.step !== null) {
        const loaded: StepState = fromJsonRow<StepRow>(row.step)
        steps.set(loaded.name, loaded)
      }
      const aggregate: RunAggregate = {
        version: row.version,
        run: row.run === null ? undefined : toRunState(fromJsonRow<RunRow>(row.run)),
        steps
      }
      return aggregate
    }, Effect.orDie)

    /** Renews the lease only if `owner` still holds it at `attempt`; false when it has moved on. */
    const renewLease = (runId: string, owner: string, attempt: number, leaseExpiresAt: string) =>
      sql`
        insert into run_heartbeats (run_id, attempt, lease_expires_at)
        select id, attempt, ${leaseExpiresAt} from runs
        where id = ${runId} and lease_owner = ${owner} and attempt = ${attempt} and status = 'running'
        on conflict (run_id) do update set attempt = excluded.attempt, lease_expires_at = excluded.lease_expires_at
        returning run_id`.pipe(
        Effect.map((rows) => rows.length === 1),
        Effect.orDie
      )

    return { load, renewLease } as const
  })
}) {}
