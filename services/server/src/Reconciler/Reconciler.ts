import * as Domain from "@tidebase/domain"
import { Duration, Effect, Either, Layer } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { GateCommands } from "../Gates/GateCommands.js"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"
import { RunLoader } from "../Runs/RunLoad.js"

const MIN_SLEEP = Duration.millis(20)
const BATCH = 100

/** One kind of due work: what is due now, how to settle one, and how long until the next is due. */
interface Sweep {
  readonly name: string
  readonly due: Effect.Effect<ReadonlyArray<{ readonly runId: string; readonly id: string }>, unknown>
  readonly settle: (item: { readonly runId: string; readonly id: string }) => Effect.Effect<unknown, unknown>
  readonly msUntilNext: Effect.Effect<number | null, unknown>
}

/**
 * The Reconciler: in every server process, settles what time made due. Gates past their timeout
 * resolve with their default decision (actor `system:timeout`); runs past their deadline are
 * cancelled (reason `deadline`, actor `system:deadline`); running runs whose lease expired owe their
 * recovery webhook a `run.resume` (reason `lease_expired`), once per lease epoch, while a queue run whose lease
 * expired goes back to its queue with backoff (or fails, its tries used up). Each settle is a command on the run's
 * stream, so whatever the number of replicas it happens once: a loser of the expected-version
 * append decides again, finds it done, and appends nothing. It sleeps until the next due time it
 * knows of, never longer than `tickMs` (what was created meanwhile is found on the next tick).
 */
export const ReconcilerLive = (tickMs: number, queueBackoff: Domain.Backoff) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const pool = yield* PgPool
      const gates = yield* GateCommands
      const { existing } = yield* RunCommandRunner
      const loader = yield* RunLoader
      const tick = Duration.millis(tickMs)

      const query = <A extends object>(name: string, text: string) => pool.query<A>({ name, text, params: [BATCH] })
      const msUntil = (name: string, text: string) =>
        Effect.map(pool.query<{ ms: number | null }>({ name, text, params: [] }), (rows) => {
          const ms = rows[0]?.ms
          return ms === null || ms === undefined ? null : Number(ms)
        })

      const sweeps: ReadonlyArray<Sweep> = [
        {
          name: "gate timeout",
          due: query("tidebase_gates_due", `select run_id as "runId", id from gates
            where status = 'pending' and timeout_at is not null and timeout_at <= now() order by timeout_at limit $1`),
          settle: ({ id, runId }) => gates.expire(runId, id),
          msUntilNext: msUntil("tidebase_gates_next_timeout", `select extract(epoch from min(timeout_at) - now()) * 1000 as ms
            from gates where status = 'pending' and timeout_at is not null`)
        },
        {
          name: "stalled run",
          due: query("tidebase_runs_stalled", `select r.id as "runId", r.id from run_read r
            where r.status = 'running' and r.recovery_webhook is not null and r.queue is null and r.lease_expires_at <= now()
              and not exists (select 1 from recovery_attempts a where a.id = 'stall_' || r.id || '_' || r.attempt)
            order by r.lease_expires_at limit $1`),
          settle: ({ runId }) =>
            Effect.flatMap(loader.load(runId, {}), (loaded) => {
              const run = loaded?.aggregate.run
              if (run === undefined) return Effect.void
              const id = Domain.stallRecoveryId(run.id, run.attempt)
              return existing(runId, { fresh: true, recovery: id }, (state, now) =>
                Either.right(decided(Domain.decideStall(state, now), () => undefined)))
            }),
          msUntilNext: msUntil("tidebase_runs_next_stall", `select extract(epoch from min(r.lease_expires_at) - now()) * 1000 as ms
            from run_read r where r.status = 'running' and r.recovery_webhook is not null and r.queue is null
              and not exists (select 1 from recovery_attempts a where a.id = 'stall_' || r.id || '_' || r.attempt)`)
        },
        {
          // A released lease (a worker interrupted mid-run) has no expiry: its run is as free as an expired one.
          name: "expired queue lease",
          due: query("tidebase_queue_leases_expired", `select r.id as "runId", r.id from run_read r
            where r.status = 'running' and r.queue is not null and (r.lease_expires_at is null or r.lease_expires_at <= now())
            order by r.lease_expires_at nulls first limit $1`),
          settle: ({ runId }) =>
            existing(runId, { fresh: true }, (state, now) =>
              Either.right(decided(Domain.decideQueueLeaseExpired(state, queueBackoff, now), () => undefined))),
          msUntilNext: msUntil("tidebase_queue_leases_next", `select extract(epoch from min(r.lease_expires_at) - now()) * 1000 as ms
            from run_read r where r.status = 'running' and r.queue is not null`)
        },
        {
          name: "run deadline",
          due: query("tidebase_runs_overdue", `select id as "runId", id from runs
            where deadline_at is not null and status not in ('completed', 'cancelled') and deadline_at <= now()
            order by deadline_at limit $1`),
          settle: ({ runId }) =>
            existing(runId, { fresh: true, pendingGates: true }, (state, now) =>
              Either.right(decided(Domain.decideDeadline(state, now), () => undefined))),
          msUntilNext: msUntil("tidebase_runs_next_deadline", `select extract(epoch from min(deadline_at) - now()) * 1000 as ms
            from runs where deadline_at is not null and status not in ('completed', 'cancelled')`)
        }
      ]

      /** Settles what is due; answers how long this sweep may sleep. */
      const run = (sweep: Sweep) =>
        Effect.gen(function*() {
          const due = yield* sweep.due
          yield* Effect.forEach(due, (item) =>
            sweep.settle(item).pipe(
              Effect.catchAllCause((cause) => Effect.logWarning(`${sweep.name} of run ${item.runId} (${item.id}) could not be settled`, cause))
            ), { discard: true })
          if (due.length === BATCH) return MIN_SLEEP
          const next = yield* sweep.msUntilNext
          return next === null ? tick : Duration.clamp(Duration.millis(Math.ceil(next)), { minimum: MIN_SLEEP, maximum: tick })
        }).pipe(
          Effect.catchAllCause((cause) => Effect.as(Effect.logWarning(`${sweep.name} sweep failed; trying again`, cause), tick))
        )

      const round = Effect.map(Effect.forEach(sweeps, run), (sleeps) => sleeps.reduce(Duration.min, tick))
      yield* round.pipe(Effect.flatMap(Effect.sleep), Effect.forever, Effect.forkScoped)
    })
  )
