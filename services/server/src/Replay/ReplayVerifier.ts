import { replayRun, stableStringify } from "@tidebase/domain"
import { Effect, Option } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { toWireEvent } from "../Events/WireEvent.js"
import type { StoredEvent } from "../EventStore/EventStore.js"
import { RunKind } from "../Runs/RunKind.js"
import { RunQueries } from "../Runs/RunQueries.js"
import { leaseRenewal } from "./LeaseRenewals.js"
import { wireReplay, withRenewal } from "./ReplayWire.js"

/** A run whose replay at its latest seq is not what its read models show. */
export interface ReplayDifference {
  readonly runId: string
  readonly field: string
  readonly replayed: unknown
  readonly live: unknown
}

const FIELDS = ["run", "steps", "state", "stateStreams", "stateVersions", "gates", "usage", "runEdges"] as const

/** Gates as events carry them: the token is the read side's alone. */
const withoutTokens = (gates: ReadonlyArray<Record<string, unknown>>) => gates.map(({ resolveToken: _, ...gate }) => gate)

/**
 * Replay's promise, checked: every run folded from its log alone equals what `GET /runs/:id`
 * answers from the read models (a test runs it over every run the suite leaves behind).
 */
export class ReplayVerifier extends Effect.Service<ReplayVerifier>()("Tidebase/ReplayVerifier", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool
    const queries = yield* RunQueries

    const verifyRun = (runId: string) =>
      Effect.gen(function*() {
        const stored = yield* pool.query<StoredEvent>({
          text: `select position, stream_id as "streamId", seq, type, payload, created_at as "createdAt" from events
            where category = 'run' and stream_id = $1 order by seq`,
          params: [runId]
        }).pipe(Effect.orDie)
        const detail = yield* queries.detail(runId)
        if (stored.length === 0 || Option.isNone(detail)) return []
        const replayed: Record<string, unknown> = wireReplay(
          withRenewal(replayRun(stored.map((e) => RunKind.fromStored(e.type, e.payload))), yield* leaseRenewal(pool, runId)),
          toWireEvent(stored[stored.length - 1]!),
          stored.length
        )
        const live = JSON.parse(Buffer.concat(detail.value).toString()) as Record<string, unknown>
        live.gates = withoutTokens(live.gates as Array<Record<string, unknown>>)
        const differences: Array<ReplayDifference> = []
        for (const field of FIELDS) {
          if (stableStringify(replayed[field]) !== stableStringify(live[field])) {
            differences.push({ runId, field, replayed: replayed[field], live: live[field] })
          }
        }
        return differences
      })

    const verify = Effect.gen(function*() {
      const runs = yield* pool.query<{ id: string }>({ text: "select id from runs order by id", params: [] }).pipe(Effect.orDie)
      const found = yield* Effect.forEach(runs, (r) => verifyRun(r.id), { concurrency: 4 })
      return { runs: runs.length, differences: found.flat() }
    })

    return { verify, verifyRun } as const
  }),
  dependencies: [RunQueries.Default]
}) {}
