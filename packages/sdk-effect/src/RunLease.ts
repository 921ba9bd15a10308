import type * as Api from "@tidebase/api"
import type { Run as WireRun } from "@tidebase/api"
import type { Context } from "effect"
import { Effect, Schedule } from "effect"
import { WorkflowMismatch } from "./Errors.js"
import type { LeaseLostError, RunCancelledError } from "./Errors.js"
import { request } from "./Request.js"
import type { TidebaseClient } from "./TidebaseClient.js"

type Client = Context.Tag.Service<TidebaseClient>

/** The run lease this invocation holds: its owner and fencing epoch go on every write. */
export interface RunLease {
  readonly run: WireRun
  readonly leaseOwner: string
  readonly leaseEpoch: number
  /** The run's last event seq when the lease was granted (servers before it answer none: 0). */
  readonly seq: number
}

/** Short at first (a concurrent caller usually finishes fast), never longer than a quarter second. */
const leaseWait = Schedule.exponential("20 millis").pipe(Schedule.union(Schedule.spaced("250 millis")), Schedule.jittered)

/**
 * Begin the run as `owner`. While another invocation's lease is live, wait and try
 * again: it will complete the run (whose stored result is then the answer) or let the lease go.
 * A completed run yields no lease; a run of another workflow is refused before anything is written.
 */
export const acquireRunLease = (
  client: Client,
  workflowName: string,
  runId: string,
  owner: string,
  leaseMs: number | undefined,
  /** When given, a run the server does not know yet is created with these by the begin itself. */
  create?: NonNullable<(typeof Api.Payloads.BeginRunPayload.Type)["create"]>
) => {
  let attempts = 0
  return Effect.suspend(() => (attempts++, request(
    client.runs.begin({
      path: { runId },
      headers: { "x-tidebase-worker": owner },
      payload: { workflowName, ...(leaseMs === undefined ? {} : { leaseMs }), ...(create === undefined ? {} : { create }) }
    }),
    { runId }
  ))).pipe(
    Effect.retry({ schedule: leaseWait, while: (e) => e._tag === "LeaseHeld" }),
    Effect.catchTag("LeaseHeld", Effect.die),
    Effect.catchTag("WorkflowMismatch", (e) =>
      Effect.fail(new WorkflowMismatch({ runId, workflowName, runWorkflowName: e.run.workflowName }))),
    Effect.map(({ leaseOwner, run, seq }) => ({
      run,
      /** Another invocation held the run first, so it may have checkpointed more since. */
      waited: attempts > 1,
      lease: leaseOwner === null ? null : { run, leaseOwner, leaseEpoch: run.attempt, seq: seq ?? 0 } satisfies RunLease
    }))
  )
}

/** The lease length the server granted, measured on its own clock so client skew does not matter. */
const grantedMs = (run: WireRun) =>
  run.leaseExpiresAt === null ? 30_000 : Date.parse(run.leaseExpiresAt) - Date.parse(run.updatedAt)

/**
 * Renews the lease at a third of its length until interrupted. A refusal (lease lost, run
 * cancelled) ends it, told to `onRefused`: the next step boundary meets the same refusal and fails there.
 */
export const keepLeaseAlive = (
  client: Client,
  lease: RunLease,
  leaseMs: number | undefined,
  onRefused: (refusal: LeaseLostError | RunCancelledError) => void = () => {}
) => {
  const beat = request(
    client.runs.heartbeat({
      path: { runId: lease.run.id },
      payload: { leaseOwner: lease.leaseOwner, leaseEpoch: lease.leaseEpoch, ...(leaseMs === undefined ? {} : { leaseMs }) }
    }),
    { runId: lease.run.id }
  ).pipe(
    Effect.as(true),
    Effect.catchTag("TidebaseRequestError", () => Effect.succeed(true)),
    Effect.tapError((e) => e._tag === "LeaseLostError" || e._tag === "RunCancelledError" ? Effect.sync(() => onRefused(e)) : Effect.void),
    // A beat in flight when the run ends is dropped: while the server is away it may be retrying for a while.
    Effect.orElseSucceed(() => false)
  )
  const interval = Math.max(10, grantedMs(lease.run) / 3)
  return Effect.sleep(interval).pipe(Effect.zipRight(beat), Effect.repeat({ while: (alive) => alive }))
}

/** How long letting a lease go may hold up an exit: past this the run's lease simply expires. */
const RELEASE_BOUND_MS = 1_000

/**
 * Gives the lease back so an immediate re-run resumes at once instead of waiting for it to
 * expire. Best effort and bounded: it runs on its own fiber (an exit in progress, being an
 * interruption, must not cut it short) and the caller waits for it at most RELEASE_BOUND_MS;
 * a release that fails leaves the lease to expire as before.
 */
export const releaseLease = (client: Client, lease: RunLease) =>
  Effect.promise(() => {
    const release = Effect.runPromise(Effect.ignore(client.runs.release({
      path: { runId: lease.run.id },
      payload: { leaseOwner: lease.leaseOwner, leaseEpoch: lease.leaseEpoch }
    })))
    const bound = new Promise<void>((resolve) => setTimeout(resolve, RELEASE_BOUND_MS).unref?.())
    return Promise.race([release, bound])
  })
