import type { Event, Gate } from "@tidebase/api"
import type { GateDecision } from "@tidebase/domain"
import { Effect, Option, Stream } from "effect"
import type { BudgetExceededError, LeaseLostError, RunCancelledError, TidebaseRequestError } from "./Errors.js"
import { request } from "./Request.js"
import type { RunContext } from "./RunContext.js"

export interface GateOptions {
  /** What the person deciding sees beside the prompt. */
  readonly data?: unknown
  /** Webhook channels told of the gate (with its resolve URL and token). */
  readonly channels?: unknown
  readonly capability?: string | null
  /** A gate still pending this long after it opened decides itself: `defaultDecision` (default `rejected`), actor `system:timeout`. */
  readonly timeoutMs?: number | null
  readonly defaultDecision?: GateDecision | null
}

/** How a gate was decided: once, by `actor`, with the payload they gave. */
export interface GateDecided {
  readonly decision: GateDecision
  readonly actor: string | null
  readonly payload: unknown
  readonly gate: Gate
}

export type GateError = RunCancelledError | LeaseLostError | BudgetExceededError | TidebaseRequestError

/** A dropped event stream is followed again after this pause, so a server that is down is not hammered. */
const RECONNECT_PAUSE = "250 millis"

const decidedOf = (gate: Gate): GateDecided => ({
  decision: gate.decision!,
  actor: gate.actor,
  payload: gate.decisionPayload,
  gate
})

/** Opens the gate `name`, or finds it (once per run and name): `wait` while pending, `return` once decided. */
const beginGate = (run: RunContext, name: string, prompt: string, options: GateOptions) =>
  request(
    run.client.gates.begin({
      path: { runId: run.runId },
      payload: { name, prompt, ...options, leaseOwner: run.leaseOwner, leaseEpoch: run.leaseEpoch }
    }),
    { runId: run.runId }
  ).pipe(Effect.catchTag("RunNotFoundError", Effect.die))

/** A gate as it stands, without waiting: pending, or decided (a resumed caller gets the decision). */
export type GateState = { readonly status: "pending"; readonly gate: Gate } | ({ readonly status: "decided" } & GateDecided)

/** Opens the gate `name` (or finds it) and answers at once, pending or decided: for callers that do not wait, like sessions. */
export const openGate = (run: RunContext, name: string, prompt: string, options: GateOptions = {}): Effect.Effect<GateState, GateError> =>
  Effect.map(beginGate(run, name, prompt, options), (answer): GateState =>
    answer.action === "return" ? { status: "decided", ...decidedOf(answer.gate) } : { status: "pending", gate: answer.gate })

/**
 * Opens the gate `name` (or finds it: a gate is opened once per run and name) and waits for its
 * decision. A resumed run whose gate was decided meanwhile gets the decision at once. Waiting
 * follows the run's live event stream from the seq the gate was answered at, so the decision
 * arrives (in its `gate.resolved` event) as soon as it is committed, with no polling; when the
 * stream ends (a dropped connection), the run is cancelled or the gate's own timeout passes, the
 * gate is begun again, which answers the decision if there is one, refuses a cancelled run, and
 * otherwise says where to follow from.
 */
export const awaitGate = (run: RunContext, name: string, prompt: string, options: GateOptions = {}) => {
  const begin = beginGate(run, name, prompt, options)

  const decisionOf = (gateId: string, after: number) =>
    run.client.live.follow(run.runId, after).pipe(
      Stream.filter((e) =>
        (e.type === "gate.resolved" && (e.payload as { gate?: { id?: string } }).gate?.id === gateId) || e.type === "run.cancelled"),
      Stream.runHead
    )

  const untilTimeout = (gate: Gate) =>
    gate.timeoutAt === null ? Effect.never : Effect.sleep(Math.max(0, Date.parse(gate.timeoutAt) - Date.now()) + 10)

  return Effect.gen(function*() {
    while (true) {
      const answer = yield* begin
      if (answer.action === "return") return decidedOf(answer.gate)
      const heard: Option.Option<Event | "timeout"> = yield* Effect.race(
        decisionOf(answer.gate.id, answer.seq).pipe(Effect.orElseSucceed(() => Option.none<Event>())),
        Effect.as(untilTimeout(answer.gate), Option.some<"timeout">("timeout"))
      )
      if (Option.isNone(heard)) yield* Effect.sleep(RECONNECT_PAUSE)
      // The decision as the event carries it (everything but the token, which is the one begin gave): no second round trip.
      else if (heard.value !== "timeout" && heard.value.type === "gate.resolved") {
        const decided = (heard.value.payload as { readonly gate: Omit<Gate, "resolveToken"> }).gate
        return decidedOf({ ...decided, resolveToken: answer.gate.resolveToken })
      }
    }
  })
}
