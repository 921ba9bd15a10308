import { Duration, Effect, Layer } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { GateCommands } from "./GateCommands.js"

/** How long the sweeper sleeps at most: a gate created after it last looked expires at most this late. */
const MAX_SLEEP = Duration.seconds(1)
const MIN_SLEEP = Duration.millis(20)
const BATCH = 100

interface Due {
  readonly runId: string
  readonly gateId: string
}

/**
 * Resolves gates past their timeout with their default decision (actor `system:timeout`). Every
 * server process sweeps; the run stream's expected-version append makes each expiry happen once
 * whatever the number of sweepers: a loser decides again, finds the gate decided, appends nothing.
 * It sleeps until the next timeout it knows of, and never longer than `MAX_SLEEP`.
 */
export const GateTimeoutsLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const pool = yield* PgPool
    const gates = yield* GateCommands

    const due = pool.query<Due>({
      name: "tidebase_gates_due",
      text: `select run_id as "runId", id as "gateId" from gates
        where status = 'pending' and timeout_at is not null and timeout_at <= now() order by timeout_at limit $1`,
      params: [BATCH]
    })
    const untilNext = pool.query<{ ms: number | null }>({
      name: "tidebase_gates_next_timeout",
      text: `select extract(epoch from min(timeout_at) - now()) * 1000 as ms from gates
        where status = 'pending' and timeout_at is not null`,
      params: []
    })

    const sweep = Effect.gen(function*() {
      const expired = yield* due
      yield* Effect.forEach(expired, (gate) =>
        gates.expire(gate.runId, gate.gateId).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning(`gate ${gate.gateId} of run ${gate.runId} could not be expired`, cause))
        ), { discard: true })
      if (expired.length === BATCH) return MIN_SLEEP
      const next = (yield* untilNext)[0]?.ms
      return next === null || next === undefined
        ? MAX_SLEEP
        : Duration.clamp(Duration.millis(Math.ceil(Number(next))), { minimum: MIN_SLEEP, maximum: MAX_SLEEP })
    }).pipe(
      Effect.catchAllCause((cause) => Effect.as(Effect.logWarning("gate timeout sweep failed; trying again", cause), MAX_SLEEP))
    )

    yield* sweep.pipe(Effect.flatMap(Effect.sleep), Effect.forever, Effect.forkScoped)
  })
)
