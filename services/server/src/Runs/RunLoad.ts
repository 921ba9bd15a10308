import { aggregateOf } from "@tidebase/domain"
import type { ChannelDelivery, Gate, RecoveryAttempt, RunAggregate, RunEdge, StateStreamState, StepState, Usage } from "@tidebase/domain"
import { Effect } from "effect"
import { PgPool } from "../Database/PgPool.js"
import type { PgQueryFn } from "../Database/PgPool.js"
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
  /** The head of one state stream, by name (state writes decide the next version on it). */
  readonly stateStream?: string | undefined
  /** The usage record with this idempotency key, if the run has one. */
  readonly usageKey?: string | undefined
  /** One gate, by name (begin) or id (resolve). */
  readonly gate?: { readonly name: string } | { readonly id: string } | undefined
  /** Every gate still pending (a cancel resolves them all). */
  readonly pendingGates?: boolean
  /** The edge to a child run, by name (creating a child is idempotent on it). */
  readonly edge?: string | undefined
  /** One recovery webhook call, by id (the dispatcher records its tries). */
  readonly recovery?: string | undefined
  /** One channel delivery, by id (the dispatcher records its tries). */
  readonly delivery?: string | undefined
}

export interface LoadedRun {
  readonly aggregate: RunAggregate
  /** False when the run has steps: the aggregate then holds only the step it asked for. */
  readonly hasSteps: boolean
}

// Channels stay: every command decides which of its events the run's channels are owed.
const BLOBS = `'{input,metadata,result,error}'::text[]`

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
  const stateStream = needs.stateStream === undefined
    ? "null::jsonb"
    : `(select to_jsonb(t) from state_streams t where t.run_id = ${runId} and t.name = ${param(needs.stateStream)})`
  const usage = needs.usageKey === undefined
    ? "null::jsonb"
    : `(select to_jsonb(u) - 'seq' from usage_records u where u.run_id = ${runId} and u.idempotency_key = ${param(needs.usageKey)})`
  const gate = needs.gate === undefined
    ? "null::jsonb"
    : "name" in needs.gate
    ? `(select to_jsonb(g) from gates g where g.run_id = ${runId} and g.name = ${param(needs.gate.name)})`
    : `(select to_jsonb(g) from gates g where g.run_id = ${runId} and g.id = ${param(needs.gate.id)})`
  const pendingGates = needs.pendingGates === true
    ? `(select jsonb_agg(to_jsonb(g)) from gates g where g.run_id = ${runId} and g.status = 'pending')`
    : "null::jsonb"
  const edge = needs.edge === undefined
    ? "null::jsonb"
    : `(select to_jsonb(e) from run_edges e where e.parent_run_id = ${runId} and e.name = ${param(needs.edge)})`
  const recovery = needs.recovery === undefined
    ? "null::jsonb"
    : `(select to_jsonb(a) from recovery_attempts a where a.run_id = ${runId} and a.id = ${param(needs.recovery)})`
  const delivery = needs.delivery === undefined
    ? "null::jsonb"
    : `(select to_jsonb(d) from channel_deliveries d where d.run_id = ${runId} and d.id = ${param(needs.delivery)})`
  const shape = [
    needs.fullRun === true ? "full" : "head",
    needs.step === undefined ? "none" : "name" in needs.step ? "name" : "id",
    needs.stateStream === undefined ? "" : "state",
    needs.usageKey === undefined ? "" : "usage",
    needs.gate === undefined ? "" : "name" in needs.gate ? "gate_name" : "gate_id",
    needs.pendingGates === true ? "pending_gates" : "",
    needs.edge === undefined ? "" : "edge",
    needs.recovery === undefined ? "" : "recovery",
    needs.delivery === undefined ? "" : "delivery"
  ].filter((part) => part !== "").join("_")
  return {
    name: `tidebase_load_run_${shape}`,
    text: `select h.version, ${run} as run, ${step} as step, ${stateStream} as "stateStream", ${usage} as usage, ${gate} as gate,
      ${pendingGates} as "pendingGates", ${edge} as edge, ${recovery} as recovery, ${delivery} as delivery, exists (select 1 from steps t where t.run_id = ${runId}) as "hasSteps"
      from event_streams h where h.category = 'run' and h.stream_id = ${runId}`,
    params
  }
}

export class RunLoader extends Effect.Service<RunLoader>()("Tidebase/RunLoader", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool

    /** `undefined` when the run's stream does not exist; `query` is a transaction's connection when read inside one. */
    const load = (runId: string, needs: RunNeeds, query: PgQueryFn = pool.query) => {
      type Json = Record<string, unknown> | null
      type Row = {
        version: number
        run: Json
        step: Json
        stateStream: Json
        usage: Json
        gate: Json
        pendingGates: Array<Record<string, unknown>> | null
        edge: Json
        recovery: Json
        delivery: Json
        hasSteps: boolean
      }
      return query<Row>(loadQuery(runId, needs)).pipe(
        Effect.map((rows): LoadedRun | undefined => {
          const row = rows[0]
          if (row === undefined) return undefined
          const steps = new Map<string, StepState>()
          if (row.step !== null) {
            const step: StepState = fromJsonRow<StepRow>(row.step)
            steps.set(step.name, step)
          }
          const stateStreams = new Map<string, StateStreamState>()
          if (row.stateStream !== null) {
            const head = fromJsonRow<StateStreamState>(row.stateStream)
            stateStreams.set(head.name, head)
          }
          const usage = new Map<string, Usage>()
          if (row.usage !== null) {
            const record = fromJsonRow<Usage>(row.usage)
            usage.set(record.idempotencyKey!, record)
          }
          const gates = new Map<string, Gate>()
          if (row.gate !== null) {
            const found = fromJsonRow<Gate>(row.gate)
            gates.set(found.name, found)
          }
          for (const pending of row.pendingGates ?? []) {
            const found = fromJsonRow<Gate>(pending)
            gates.set(found.name, found)
          }
          const edges = new Map<string, RunEdge>()
          if (row.edge !== null) {
            const found = fromJsonRow<RunEdge>(row.edge)
            edges.set(found.name, found)
          }
          const recoveries = new Map<string, RecoveryAttempt>()
          if (row.recovery !== null) {
            const found = fromJsonRow<RecoveryAttempt>(row.recovery)
            recoveries.set(found.id, found)
          }
          const deliveries = new Map<string, ChannelDelivery>()
          if (row.delivery !== null) {
            const found = fromJsonRow<ChannelDelivery>(row.delivery)
            deliveries.set(found.id, found)
          }
          const run = row.run === null ? undefined : toRunState(fromJsonRow<RunRow>(row.run))
          return { aggregate: aggregateOf(row.version, run, { steps, stateStreams, usage, gates, edges, recoveries, deliveries }), hasSteps: row.hasSteps }
        }),
        Effect.orDie
      )
    }

    return { load } as const
  })
}) {}
