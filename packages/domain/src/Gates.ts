import { Either } from "effect"
import { checkRunFence, requireRun } from "./Decide.js"
import type { Fence } from "./Decide.js"
import { GateAlreadyResolved, GateNotFound, GateTokenMismatch, LeaseLost, RunAlreadyCompleted, RunCancelled, RunNotFound } from "./Errors.js"
import { GateCreated, GateResolved } from "./Events.js"
import type { RunEvent } from "./Events.js"
import { budgetStop, isOverBudget } from "./RecordUsage.js"
import type { Gate, GateDecision } from "./Records.js"
import type { RunAggregate, RunState } from "./Run.js"

/** The actor a gate's own timeout resolves it as. */
export const TIMEOUT_ACTOR = "system:timeout"

const iso = (ms: number) => new Date(ms).toISOString()

export interface BeginGate {
  readonly runId: string
  readonly name: string
  readonly prompt: string
  readonly data: unknown
  readonly channels: unknown
  readonly capability: string | null
  /** Ours: a pending gate older than this resolves with `defaultDecision`. */
  readonly timeoutMs: number | null
  readonly defaultDecision: GateDecision | null
  readonly fence: Fence | undefined
  readonly newGateId: string
  readonly now: number
}

export type GateBeginOutcome =
  /** The gate is pending (new, or begun again before anyone decided): the caller waits. */
  | { readonly action: "wait"; readonly gate: Gate; readonly events: ReadonlyArray<RunEvent> }
  /** The gate was decided (maybe just now, by its timeout): a resumed run goes on without blocking. */
  | { readonly action: "return"; readonly gate: Gate; readonly events: ReadonlyArray<RunEvent> }
  /** The run is over its budget: `events` stop it instead of opening the gate. */
  | { readonly action: "budget_exceeded"; readonly events: ReadonlyArray<RunEvent> }

const resolved = (gate: Gate, decision: GateDecision, actor: string, payload: unknown, now: number): Gate => ({
  ...gate,
  status: decision,
  decision,
  actor,
  decisionPayload: payload,
  updatedAt: iso(now),
  resolvedAt: iso(now)
})

/** A pending gate whose timeout has passed resolves with its default decision. */
export const isExpired = (gate: Gate, now: number) =>
  gate.status === "pending" && gate.timeoutAt !== null && gate.defaultDecision !== null && Date.parse(gate.timeoutAt) <= now

const expire = (gate: Gate, now: number): GateResolved =>
  new GateResolved({ gate: resolved(gate, gate.defaultDecision!, TIMEOUT_ACTOR, null, now), at: iso(now) })

/**
 * Idempotent per (run, name): the first begin opens the gate, every later one is answered with it
 * (`wait` while pending, `return` with the decision once decided), so a resumed run never blocks
 * on a gate a person already decided.
 */
export const decideBeginGate = (state: RunAggregate, cmd: BeginGate) =>
  Either.flatMap(requireRun(state, cmd.runId), (run): Either.Either<GateBeginOutcome, RunCancelled | RunAlreadyCompleted | LeaseLost> => {
    if (run.status === "cancelled") return Either.left(new RunCancelled({ run }))
    const existing = state.gates.get(cmd.name)
    if (existing !== undefined) {
      if (isExpired(existing, cmd.now)) {
        const event = expire(existing, cmd.now)
        return Either.right({ action: "return", gate: event.gate, events: [event] })
      }
      return Either.right({ action: existing.status === "pending" ? "wait" : "return", gate: existing, events: [] })
    }
    // Nothing is waiting for a decision on a run that finished.
    if (run.status === "completed") return Either.left(new RunAlreadyCompleted({ run }))
    return Either.map(checkRunFence(run, cmd.fence), (): GateBeginOutcome => {
      if (isOverBudget(run)) return { action: "budget_exceeded", events: budgetStop(run, cmd.now) }
      const gate = openGate(run, cmd)
      return { action: "wait", gate, events: [new GateCreated({ gate, at: gate.createdAt })] }
    })
  })

const openGate = (run: RunState, cmd: BeginGate): Gate => ({
  id: cmd.newGateId,
  runId: run.id,
  name: cmd.name,
  prompt: cmd.prompt,
  data: cmd.data,
  status: "pending",
  decision: null,
  actor: null,
  decisionPayload: null,
  capability: cmd.capability,
  channels: cmd.channels,
  timeoutAt: cmd.timeoutMs === null ? null : iso(cmd.now + cmd.timeoutMs),
  defaultDecision: cmd.timeoutMs === null ? null : cmd.defaultDecision ?? "rejected",
  createdAt: iso(cmd.now),
  updatedAt: iso(cmd.now),
  resolvedAt: null
})

export const findGate = (state: RunAggregate, gateId: string): Gate | undefined => {
  for (const gate of state.gates.values()) if (gate.id === gateId) return gate
  return undefined
}

export interface ResolveGate {
  readonly runId: string
  readonly gateId: string
  /** Whether the token given is the gate's; compared by the server in constant time (the domain never sees a token). */
  readonly tokenMatches: boolean
  readonly decision: GateDecision
  readonly actor: string | null
  readonly payload: unknown
  readonly now: number
}

export type ResolveGateError = RunNotFound | GateNotFound | GateTokenMismatch | GateAlreadyResolved

/**
 * Exactly once: a wrong token, an unknown gate or a second decision is refused and the first
 * decision stands. A gate past its timeout was already decided by it, whoever comes later.
 */
export const decideResolveGate = (state: RunAggregate, cmd: ResolveGate) =>
  Either.flatMap(requireRun(state, cmd.runId), (): Either.Either<ReadonlyArray<RunEvent>, ResolveGateError> => {
    const gate = findGate(state, cmd.gateId)
    if (gate === undefined) return Either.left(new GateNotFound({ runId: cmd.runId, gateId: cmd.gateId }))
    if (!cmd.tokenMatches) return Either.left(new GateTokenMismatch({ gate }))
    if (isExpired(gate, cmd.now)) return Either.left(new GateAlreadyResolved({ gate: expire(gate, cmd.now).gate }))
    if (gate.status !== "pending") return Either.left(new GateAlreadyResolved({ gate }))
    const decided = resolved(gate, cmd.decision, cmd.actor ?? "anonymous", cmd.payload, cmd.now)
    return Either.right([new GateResolved({ gate: decided, at: iso(cmd.now) })])
  })

/** What a sweep appends for a pending gate whose timeout passed (nothing otherwise). */
export const decideExpireGate = (state: RunAggregate, gateId: string, now: number): ReadonlyArray<RunEvent> => {
  const gate = findGate(state, gateId)
  return gate !== undefined && isExpired(gate, now) ? [expire(gate, now)] : []
}
