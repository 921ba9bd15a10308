import * as Domain from "@tidebase/domain"
import type { RunState } from "@tidebase/domain"
import { Clock, Duration, Effect, Queue, Schedule } from "effect"
import { PgPool } from "../Database/PgPool.js"
import type { PgQueryFn } from "../Database/PgPool.js"
import { LiveEvents } from "../Events/LiveEvents.js"
import { fold } from "../EventStore/Aggregate.js"
import type { AnyStreamChange } from "../EventStore/Aggregate.js"
import { EventStore, VersionConflict } from "../EventStore/EventStore.js"
import { RunCache } from "../Runs/RunCache.js"
import { withDeliveries } from "../Runs/RunCommandRunner.js"
import { queueMoved, RunKind } from "../Runs/RunKind.js"
import { RunLoader } from "../Runs/RunLoad.js"
import { QueueKind } from "./QueueKind.js"

type Input<C> = Omit<C, "now">

export interface Claim {
  readonly queues: ReadonlyArray<string>
  readonly leaseOwner: string
  readonly leaseMs: number
  readonly limit: number
  readonly waitMs: number
  /** A push queue's claim: each run it takes also owes this URL a `run.invoke` call, in the same append. */
  readonly invokeUrl?: string | undefined
}

/** What one claim transaction handed out, and when a queue held back by its rate limit has a slot again. */
interface ClaimRound {
  readonly runs: ReadonlyArray<RunState>
  readonly retryInMs: number | undefined
}

/** A lost race (a concurrent cancel, a claimer on another replica) is decided again; jitter spreads the retries. */
const RACE_RETRIES = Schedule.exponential("2 millis", 1.5).pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(30)))

/** Two ids per queue lock: ours (a fixed namespace) and the queue's, so other advisory locks never collide with it. */
const LOCK_NAMESPACE = "tidebase.queue"

/**
 * Queue runs: enqueue (with dedupe), claim (atomically, honouring each queue's concurrency cap and
 * rate limit, long-polling when asked) and queue settings. A queue run is a run stream like any
 * other; only who may start it, and when, is the queue's.
 */
export class QueueCommands extends Effect.Service<QueueCommands>()("Tidebase/QueueCommands", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool
    const store = yield* EventStore
    const loader = yield* RunLoader
    const cache = yield* RunCache
    const live = yield* LiveEvents

    const activeRunId = (queue: string, dedupeKey: string) =>
      Effect.map(
        pool.query<{ id: string }>({
          name: "tidebase_queue_dedupe",
          text: `select id from runs where queue = $1 and dedupe_key = $2 and status in ('pending', 'queued', 'running') limit 1`,
          params: [queue, dedupeKey]
        }),
        (rows) => rows[0]?.id
      )

    const wholeRun = (runId: string) => Effect.map(loader.load(runId, { fullRun: true }), (loaded) => loaded?.aggregate.run)

    /**
     * One active run per (queue, dedupeKey): an enqueue that finds one answers it. Two racing
     * enqueues of a key both find none; the unique index on active keys makes the second append
     * lose, and deciding again it finds the first.
     */
    const enqueue = (cmd: Input<Domain.EnqueueRun>) => {
      // A new id (the usual case) is appended without reading it first: if it exists, the append loses and the retry reads it.
      let mayExist = false
      return Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (cmd.dedupeKey !== null) {
          const active = yield* activeRunId(cmd.queue, cmd.dedupeKey)
          const run = active === undefined ? undefined : yield* wholeRun(active)
          if (run !== undefined) return { run, deduplicated: true }
        }
        const before = mayExist ? (yield* loader.load(cmd.runId, { fullRun: true }))?.aggregate ?? Domain.emptyAggregate : Domain.emptyAggregate
        if (before.run !== undefined) return { run: before.run, deduplicated: true }
        const events = withDeliveries(before, Domain.decideEnqueue(before, { ...cmd, now }), now)
        const after = fold(RunKind, events, before)
        yield* store.append([{ kind: RunKind, streamId: cmd.runId, expectedVersion: before.version, events, before, after }])
        cache.evict(cmd.runId)
        return { run: after.run!, deduplicated: false }
      }).pipe(
        Effect.tapError(() => Effect.sync(() => (mayExist = true))),
        Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: RACE_RETRIES }),
        Effect.orDie
      )
    }

    /**
     * How many runs each capped queue may hand out now. Claims on a capped queue hold its advisory
     * lock (taken in name order, so two claimers never wait on each other), so the running count
     * and the last claim they read cannot change under them before they commit.
     */
    const roomIn = (query: PgQueryFn, queues: ReadonlyArray<string>, now: number) =>
      Effect.gen(function*() {
        const capped = yield* query<{ name: string; concurrency: number | null; ratePerMinute: number | null }>({
          name: "tidebase_queue_caps",
          text: `select name, concurrency, rate_per_minute as "ratePerMinute" from queues
            where name = any($1) and (concurrency is not null or rate_per_minute is not null) order by name`,
          params: [queues]
        })
        const room = new Map<string, number>()
        let retryInMs: number | undefined
        for (const queue of capped) {
          yield* query({
            name: "tidebase_queue_lock",
            text: "select pg_advisory_xact_lock(hashtext($1), hashtext($2))",
            params: [LOCK_NAMESPACE, queue.name]
          })
          const [counts] = yield* query<{ running: number; lastClaimedAt: string | null }>({
            name: "tidebase_queue_load",
            text: `select (select count(*)::int from runs where queue = $1 and status = 'running') as running,
              (select max(claimed_at) from runs where queue = $1 and claimed_at is not null) as "lastClaimedAt"`,
            params: [queue.name]
          })
          let free = queue.concurrency === null ? Infinity : queue.concurrency - counts!.running
          if (queue.ratePerMinute !== null) {
            // Claims are spread evenly: one per interval, never a burst of a minute's worth.
            const interval = 60_000 / queue.ratePerMinute
            const since = counts!.lastClaimedAt === null ? Infinity : now - Date.parse(counts!.lastClaimedAt)
            if (since < interval) {
              free = 0
              retryInMs = Math.min(retryInMs ?? Infinity, interval - since)
            } else free = Math.min(free, 1)
          }
          room.set(queue.name, Math.max(0, free))
        }
        return { room, retryInMs }
      })

    /** One claim, in one transaction: the ready runs it may take are locked (skipping those others hold) and leased. */
    const claimRound = (cmd: Claim): Effect.Effect<ClaimRound> =>
      pool.transaction((query) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const { retryInMs, room } = yield* roomIn(query, cmd.queues, now)
          const open = cmd.queues.filter((queue) => (room.get(queue) ?? Infinity) > 0)
          if (open.length === 0) return { round: { runs: [], retryInMs }, committed: Effect.void }
          const ready = yield* query<{ id: string; queue: string }>({
            name: "tidebase_queue_ready",
            text: `select id, queue from runs where queue = any($1) and status = 'queued' and run_at <= $2
              order by priority desc, run_at, created_at limit $3 for update skip locked`,
            params: [open, new Date(now).toISOString(), cmd.limit]
          })
          const taken: Array<string> = []
          for (const { id, queue } of ready) {
            const left = room.get(queue) ?? Infinity
            if (left <= 0) continue
            room.set(queue, left - 1)
            taken.push(id)
          }
          const changes: Array<AnyStreamChange> = []
          for (const runId of taken) {
            const before = (yield* loader.load(runId, { fullRun: true }, query))?.aggregate
            if (before === undefined) continue
            const claimed = Domain.decideClaim(before, { ...cmd, now })
            if (claimed.length === 0) continue
            const calls = cmd.invokeUrl === undefined
              ? []
              : [Domain.invokeFor(fold(RunKind, claimed, before).run!, Domain.newRecoveryId(), cmd.invokeUrl, cmd.leaseOwner, now)]
            const events = withDeliveries(before, [...claimed, ...calls], now)
            changes.push({ kind: RunKind, streamId: runId, expectedVersion: before.version, events, before, after: fold(RunKind, events, before) })
          }
          const { committed, write } = store.appendIn(query, changes)
          yield* write
          for (const change of changes) cache.evict(change.streamId)
          return { round: { runs: changes.map((c) => (c.after as Domain.RunAggregate).run!), retryInMs }, committed }
        })
      ).pipe(
        Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: RACE_RETRIES }),
        Effect.orDie,
        Effect.flatMap(({ committed, round }) => Effect.as(committed, round))
      )

    /** How long until the next queued run of these queues is due, if one is waiting for its `runAt`. */
    const msUntilDue = (queues: ReadonlyArray<string>, now: number) =>
      Effect.map(
        pool.query<{ next: string | null }>({
          name: "tidebase_queue_next_due",
          text: `select min(run_at) as next from runs where queue = any($1) and status = 'queued'`,
          params: [queues]
        }),
        (rows) => rows[0]?.next == null ? undefined : Math.max(0, Date.parse(rows[0].next) - now)
      ).pipe(Effect.orDie)

    /**
     * Claims ready runs; with `waitMs` and nothing ready, waits until one may be (an enqueue, a
     * requeue or a freed slot wakes it on every replica; a due `runAt` or a rate-limit slot by its
     * time) and tries again, answering empty when `waitMs` has passed.
     */
    const claim = (cmd: Claim) =>
      Effect.scoped(Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        // Listening starts before the first try: a run enqueued in between still wakes it.
        const wakes = cmd.waitMs > 0
          ? yield* Effect.forEach(cmd.queues, (queue) => live.subscribe(queueMoved(queue).category, queueMoved(queue).streamId))
          : []
        while (true) {
          const round = yield* claimRound(cmd)
          const now = yield* Clock.currentTimeMillis
          const left = start + cmd.waitMs - now
          if (round.runs.length > 0 || left <= 0) return round.runs
          const due = yield* msUntilDue(cmd.queues, now)
          const sleep = Math.min(left, due ?? Infinity, round.retryInMs ?? Infinity)
          yield* Effect.raceAll(wakes.map(Queue.take)).pipe(
            Effect.timeout(Duration.millis(Math.max(1, Math.ceil(sleep)))),
            Effect.ignore
          )
        }
      }))

    /** A queue's settings are its own stream: decided on its fold, appended at its version. */
    const configure = (cmd: Input<Domain.ConfigureQueue>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const stored = yield* store.readStream(QueueKind.category, cmd.name)
        const before = fold(QueueKind, stored.map((e) => QueueKind.fromStored(e.type, e.payload)))
        const events = Domain.decideConfigureQueue(before, { ...cmd, now })
        const after = fold(QueueKind, events, before)
        yield* store.append([{ kind: QueueKind, streamId: cmd.name, expectedVersion: before.version, events, before, after }])
        return after.config!
      }).pipe(
        Effect.retry({ while: (e) => e instanceof VersionConflict, schedule: RACE_RETRIES }),
        Effect.orDie
      )

    return { enqueue, claim, configure } as const
  }),
  dependencies: [RunLoader.Default, RunCache.Default]
}) {}
