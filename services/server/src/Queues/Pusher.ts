import { Duration, Effect, Layer, Queue } from "effect"
import { PgPool } from "../Database/PgPool.js"
import { LiveEvents } from "../Events/LiveEvents.js"
import { queueMoved } from "../Runs/RunKind.js"
import { QueueCommands } from "./QueueCommands.js"

const BATCH = 20

/**
 * Push dispatch: in every server process, claims the ready runs of each queue that has an
 * `invokeUrl` (within its concurrency cap and rate limit, like any claimer) and owes that URL a
 * signed `run.invoke` per run, in the claim's own append: the dispatcher sends it. The app's
 * `tide.webhook()` takes the run under the claim's lease owner. A run whose call never leads to
 * work loses its lease and is requeued by the reconciler, like a dead worker's.
 */
export const PusherLive = (tickMs: number, leaseMs: number) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const pool = yield* PgPool
      const queues = yield* QueueCommands
      const live = yield* LiveEvents
      const tick = Duration.millis(tickMs)

      const pushAll = (name: string, invokeUrl: string) =>
        Effect.gen(function*() {
          while (true) {
            const runs = yield* queues.claim({
              queues: [name],
              leaseOwner: `push_${crypto.randomUUID().replaceAll("-", "")}`,
              leaseMs,
              limit: BATCH,
              waitMs: 0,
              invokeUrl
            })
            if (runs.length < BATCH) return
          }
        })

      const round = Effect.scoped(Effect.gen(function*() {
        const pushed = yield* pool.query<{ name: string; invokeUrl: string }>({
          name: "tidebase_push_queues",
          text: `select name, invoke_url as "invokeUrl" from queues where invoke_url is not null order by name`,
          params: []
        })
        // Listening before pushing: a run enqueued meanwhile still wakes the wait below.
        const wakes = yield* Effect.forEach(pushed, ({ name }) => live.subscribe(queueMoved(name).category, queueMoved(name).streamId))
        yield* Effect.forEach(pushed, ({ invokeUrl, name }) =>
          pushAll(name, invokeUrl).pipe(
            Effect.catchAllCause((cause) => Effect.logWarning(`push queue ${name}: could not claim`, cause))
          ), { discard: true })
        yield* Effect.raceAll([Effect.sleep(tick), ...wakes.map(Queue.take)])
      })).pipe(
        Effect.catchAllCause((cause) => Effect.zipRight(Effect.logWarning("push dispatch round failed; trying again", cause), Effect.sleep(tick)))
      )

      yield* round.pipe(Effect.forever, Effect.forkScoped)
    })
  )
