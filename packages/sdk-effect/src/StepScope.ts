import { inputHash } from "@tidebase/domain"
import { Effect, FiberRef } from "effect"

/** One execution of a step's function: what state writes and usage records made inside it carry. */
export interface StepScope {
  readonly name: string
  /** The step's server id once steps/begin made it; null on the one-request path, where the step is recorded only after it runs. */
  readonly stepId: string | null
  /**
   * Drawn once per execution of the function, never derived from the step: a step executed again
   * (a retry, or a resume after a crash mid-step) really called the LLM again, and the ledger
   * must show that real cost instead of taking the second record for a duplicate of the first.
   */
  readonly executionNonce: string
  /** Usage records made so far in this execution. */
  usageRecords: number
}

/** The step whose function the current fiber runs (forked fibers inherit it); null outside any step. */
export const CurrentStep: FiberRef.FiberRef<StepScope | null> = FiberRef.unsafeMake<StepScope | null>(null)

export const currentStep: Effect.Effect<StepScope | null> = FiberRef.get(CurrentStep)

const randomId = () => crypto.randomUUID().replaceAll("-", "")

/** Runs one execution of a step's function under a fresh scope. */
export const inStep = (name: string, stepId: string | null) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() =>
    Effect.locally(effect, CurrentStep, { name, stepId, executionNonce: randomId(), usageRecords: 0 } satisfies StepScope))

/** The server takes keys of at most 200 characters; a longer one (long run id and step name) is hashed. */
const MAX_KEY = 200

/**
 * A usage record's idempotency key, fixed before its first attempt so a transport retry sends the
 * same one and the server counts it once: `${runId}:${step}:${executionNonce}:${n}` inside a step,
 * `${runId}:${randomId}` outside.
 */
export const usageKey = (runId: string, scope: StepScope | null): string => {
  const key = scope === null
    ? `${runId}:${randomId()}`
    : `${runId}:${scope.name}:${scope.executionNonce}:${++scope.usageRecords}`
  return key.length <= MAX_KEY ? key : inputHash(key)
}
