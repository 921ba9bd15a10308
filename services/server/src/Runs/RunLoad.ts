import type { RunAggregate, StepState } from "@tidebase/domain"
import { Effect } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { fromJsonRow, toRunState } from "./Rows.js"
import type { RunRow, StepRow } from "./Rows.js"

/**
 * What a command decides on, composed from small pieces into one query over one snapshot:
 * the run (its decision fields, or the whole row when the reply carries it), at most one
 * step, and whether the run has steps at all. A feature that decides on more (a gate, a state
 * head) adds a piece here; no shared database function to migrate.
 */
export interface RunNeeds {
  /** The whole run row, blobs included (run-level commands reply with it). */
  readonly fullRun?: boolean
  readonly step?: { readonly name: string } | { readonly id: string } | undefined
}

export interface LoadedRun {
  readonly aggregate: RunAggregate
  /** False when the run has steps: the aggregate then holds only the step it asked for. */
  readonly hasSteps: boolean
}

const BLOBS = `'{input,metadata,result,error,channels}'::text[]`

const loadQuery = (id: string, needs: RunNeeds) => {
  const params: Array<unknown> = []
  const param = (value: unknown) => `$${params.push(value)}`
  const runId = param(id)
  const run = needs.fullRun === true
    ? `(select to_jsonb(r) from run_read r where r.id = ${runId})`
    : `(select to_jsonb(r) - ${BLOBS} from run_read r where r.id = ${runId})`
  const step = needs.step === undefined
    ? "null::jsonb"
    : "name" in needs.step
    ? `(select to_jsonb(t) from steps t where t.run_id = ${runId} and t.name = ${param(needs.step.name)})`
    : `(select to_jsonb(t) from steps t where t.run_id = ${runId} and t.id = ${param(needs.step.id)})`
  const shape = `${needs.fullRun === true ? "full" : "head"}_${needs.step === undefined ? "none" : "name" in needs.step ? "name" : "id"}`
  return {
    name: `tidebase_load_run_${shape}`,
    text: `select h.version, ${run} as run, ${step} as step,
      exists (select 1 from steps t where t.run_id = ${runId}) as "hasSteps"
      from event_streams h where h.category = 'run' and h.stream_id = ${runId}`,
    params
  }
}

export class RunLoader extends Effect.Service<RunLoader>()("Tidebase/RunLoader", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    /** `undefined` when the run's stream does not exist. */
    const load = (runId: string, needs: RunNeeds) => {
      type Row = { version: number; run: Record<string, unknown> | null; step: Record<string, unknown> | null; hasSteps: boolean }
      return pool.query<Row>(loadQuery(runId, needs)).pipe(
        Effect.map((rows): LoadedRun | undefined => {
          const row = rows[0]
          if (row === undefined) return undefined
          const steps = new Map<string, StepState>()
          if (row.step !== null) {
            const step: StepState = fromJsonRow<StepRow>(row.step)
            steps.set(step.name, step)
          }
          return {
            aggregate: { version: row.version, run: row.run === null ? undefined : toRunState(fromJsonRow<RunRow>(row.run)), steps },
            hasSteps: row.hasSteps
          }
        }),
        Effect.orDie
      )
    }

    return { load } as const
  })
}) {}
