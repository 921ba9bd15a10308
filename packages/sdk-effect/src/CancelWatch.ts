import type { Context } from "effect"
import { Effect, Option, Stream } from "effect"
import { RunCancelledError } from "./Errors.js"
import type { RunLease } from "./RunLease.js"
import type { TidebaseClient } from "./TidebaseClient.js"

/**
 * A run shorter than this never opens the watch: a cancel reaching it is met at its next step or
 * gate begin anyway, and a resume that only replays checkpoints costs no extra request.
 */
const WATCH_AFTER = "50 millis"
/** A dropped event stream is followed again after this pause. */
const RECONNECT_PAUSE = "250 millis"

/**
 * Fails with `RunCancelledError` (reason, actor) as soon as the run's `run.cancelled` event is
 * committed, heard on the run's live event stream (asking the server for that type only, after
 * the seq the lease was granted at); never succeeds. Raced against the workflow's body, it
 * interrupts a step in flight instead of letting it run to its end.
 */
export const cancellation = (client: Context.Tag.Service<TidebaseClient>, lease: RunLease): Effect.Effect<never, RunCancelledError> =>
  Effect.gen(function*() {
    yield* Effect.sleep(WATCH_AFTER)
    while (true) {
      const heard = yield* client.live.follow(lease.run.id, lease.seq, ["run.cancelled"]).pipe(
        Stream.runHead,
        Effect.orElseSucceed(() => Option.none())
      )
      if (Option.isSome(heard)) {
        const { actor, reason } = heard.value.payload as { readonly reason?: string | null; readonly actor?: string | null }
        return yield* new RunCancelledError({ runId: lease.run.id, reason: reason ?? null, actor: actor ?? null })
      }
      yield* Effect.sleep(RECONNECT_PAUSE)
    }
  })
