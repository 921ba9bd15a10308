import { PgClient } from "@effect/sql-pg"
import { Deferred, Effect, PubSub, Schedule, Stream } from "effect"
import { EVENTS_CHANNEL } from "../EventStore/EventStore.js"

/** A stream moved to `version`: readers fetch what they have not seen. */
export interface StreamMoved {
  readonly streamId: string
  readonly version: number
}

const parse = (payload: string): StreamMoved => {
  const at = payload.lastIndexOf(":")
  return { streamId: payload.slice(0, at), version: Number(payload.slice(at + 1)) }
}

/**
 * One LISTEN connection per server process fans notifications out to every live reader,
 * so a write through any replica on the same database reaches readers on all of them.
 */
export class LiveEvents extends Effect.Service<LiveEvents>()("Tidebase/LiveEvents", {
  scoped: Effect.gen(function*() {
    const pg = yield* PgClient.PgClient
    const hub = yield* PubSub.sliding<StreamMoved>(4096)
    const listening = yield* Deferred.make<void>()
    const probe = `probe:${Math.random()}`
    yield* pg.listen(EVENTS_CHANNEL).pipe(
      Stream.runForEach((payload) =>
        payload === probe ? Deferred.succeed(listening, undefined) : PubSub.publish(hub, parse(payload))
      ),
      Effect.catchAllCause((cause) => Effect.logWarning("event listener stopped; reconnecting", cause)),
      Effect.repeat(Schedule.spaced("1 second")),
      Effect.forkScoped
    )
    // LISTEN is set up asynchronously; readers served before it would wait for the poll.
    // pg.notify sends `NOTIFY chan, $1`, which Postgres rejects: bind parameters need pg_notify.
    yield* pg`select pg_notify(${EVENTS_CHANNEL}, ${probe})`.pipe(
      Effect.zipRight(Deferred.await(listening).pipe(Effect.timeout("100 millis"))),
      Effect.retry({ times: 50 }),
      Effect.orElse(() => Effect.logWarning("event listener not confirmed; live readers fall back to polling"))
    )
    return { subscribe: PubSub.subscribe(hub) } as const
  })
}) {}
