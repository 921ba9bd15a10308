import type { RunReplay } from "@tidebase/api"
import { replayRun } from "@tidebase/domain"
import { PgPool } from "../Database/PgPool.js"
import { leaseRenewal } from "./LeaseRenewals.js"
import { withRenewal } from "./ReplayWire.js"
import { Data, Effect, Option } from "effect"
import { EventStore } from "../EventStore/EventStore.js"
import { toWireEvent } from "../Events/WireEvent.js"
import { RunKind } from "../Runs/RunKind.js"
import { wireReplay } from "./ReplayWire.js"

/** `seq` is past the run's last event. */
export class SeqOutOfRange extends Data.TaggedError("SeqOutOfRange")<{ readonly latestSeq: number }> {}

/** Debugging reads: a run folded from its own log to any of its events (never from the read models). */
export class ReplayQueries extends Effect.Service<ReplayQueries>()("Tidebase/ReplayQueries", {
  effect: Effect.gen(function*() {
    const store = yield* EventStore
    const pool = yield* PgPool

    /** The run as of event `seq` (its latest when omitted); none when there is no such run. */
    const replay = (runId: string, seq?: number): Effect.Effect<Option.Option<RunReplay>, SeqOutOfRange> =>
      Effect.gen(function*() {
        const latestSeq = yield* store.streamVersion("run", runId)
        if (latestSeq === 0) return Option.none()
        const at = seq ?? latestSeq
        if (at > latestSeq) return yield* Effect.fail(new SeqOutOfRange({ latestSeq }))
        const stored = yield* store.readStream("run", runId, 0, at)
        const replayed = replayRun(stored.map((e) => RunKind.fromStored(e.type, e.payload)))
        // Lease renewals are not events: only the run as of now has them.
        const renewed = at === latestSeq ? withRenewal(replayed, yield* leaseRenewal(pool, runId)) : replayed
        return Option.some(wireReplay(renewed, toWireEvent(stored[stored.length - 1]!), latestSeq))
      })

    return { replay } as const
  })
}) {}
