import type { Gate } from "@tidebase/api"
import type { GateDecision } from "@tidebase/domain"
import { Data, Effect } from "effect"
import type { RunNotFoundError, TidebaseRequestError } from "./Errors.js"
import { request } from "./Request.js"
import type { TidebaseClient } from "./TidebaseClient.js"
import type { Context } from "effect"

export interface ResolveGateOptions {
  /** The gate's `resolveToken`, as its begin or the run detail gave it. */
  readonly token: string
  readonly decision: GateDecision
  /** Who decided (recorded on the gate). */
  readonly actor?: string | null
  readonly payload?: unknown
}

/**
 * The gate was not decided by this call: it had been decided already (`gate` holds the first
 * decision, which stands), the token is not the gate's, or the run has no such gate.
 */
export class GateResolveRefusedError extends Data.TaggedError("GateResolveRefusedError")<{
  readonly runId: string
  readonly gateId: string
  readonly reason: "already_resolved" | "token_mismatch" | "not_found"
  readonly gate: Omit<Gate, "resolveToken"> | null
}> {
  override get message() {
    return `gate ${this.gateId} of run ${this.runId} was not resolved: ${this.reason.replace("_", " ")}`
  }
}

export type ResolveGateError = GateResolveRefusedError | RunNotFoundError | TidebaseRequestError

/** Decides a gate, exactly once: the first decision stands and every later one is refused. */
export const resolveGate = (
  client: Context.Tag.Service<TidebaseClient>,
  runId: string,
  gateId: string,
  options: ResolveGateOptions
): Effect.Effect<Gate, ResolveGateError> => {
  const refused = (reason: GateResolveRefusedError["reason"], gate: Omit<Gate, "resolveToken"> | null = null) =>
    Effect.fail(new GateResolveRefusedError({ runId, gateId, reason, gate }))
  return client.gates.resolve({ path: { runId, gateId }, payload: options }).pipe(
    Effect.catchTags({
      GateAlreadyResolved: (e) => refused("already_resolved", e.gate),
      GateTokenMismatch: () => refused("token_mismatch"),
      UnknownGate: () => refused("not_found")
    }),
    (effect) => request(effect, { runId }),
    Effect.map(({ gate }) => gate)
  )
}
