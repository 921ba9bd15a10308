import type { Context } from "effect"
import { Effect, Option, Stream } from "effect"
import { RunCancelledError } from "./Errors.js"
import type { RunLease } from "./RunLease.js"
import type { TidebaseClient } from "./TidebaseClient.js"

/** A dropped event stream is followed again after this pause. */
const RECONNECT_PAUSE = "250 millis"

/**
 * Fails with `RunCancelledError` (reason, actor) as soon as the run's `run.cancelled` event is
 * committed, heard on the run's live event stream (asking the server for that type only, after
 * the seq the lease was granted at); never succeeds. Raced against the workflow's body, it
 * interrupts a step in flight instead of letting it run to its end. The run opens it only once a
 * step runs long (`LONG_STEP_MS`): a cancel reaching a run of quick steps is met at its next step
 * begin anyway, and a watch costs the server a live reader for the rest of the run.
 */
export const cancellation = (client: Context.Tag.Service<TidebaseClient>, lease: RunLease): Effect.Effect<never, RunCancelledError> =>
  Effect.gen(function*() {
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
