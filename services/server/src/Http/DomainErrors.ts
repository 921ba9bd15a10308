import * as Api from "@tidebase/api"
import type { DomainError } from "@tidebase/domain"
import { Effect } from "effect"
import { wireRunFromState } from "../Runs/Rows.js"

type ApiErrorOf<E extends DomainError> = E extends { _tag: "RunNotFound" } ? Api.RunNotFound
  : E extends { _tag: "RunCancelled" } ? Api.RunCancelled
  : E extends { _tag: "RunAlreadyCompleted" } ? Api.RunAlreadyCompleted
  : E extends { _tag: "LeaseHeld" } ? Api.LeaseHeld
  : E extends { _tag: "LeaseLost" } ? Api.LeaseLost
  : Api.StepNotFound

const toApiError = (e: DomainError) => {
  switch (e._tag) {
    case "RunNotFound":
      return new Api.RunNotFound({ error: `run ${e.runId} not found`, code: "run_not_found" })
    case "RunCancelled":
      return new Api.RunCancelled({ error: "run is cancelled", code: "run_cancelled", run: wireRunFromState(e.run) })
    case "RunAlreadyCompleted":
      return new Api.RunAlreadyCompleted({ error: "run is completed", code: "run_completed", run: wireRunFromState(e.run) })
    case "LeaseHeld":
      return new Api.LeaseHeld({ error: `run is leased by ${e.leaseOwner}`, code: "lease_held", leaseOwner: e.leaseOwner })
    case "LeaseLost":
      return new Api.LeaseLost({
        error: e.step === undefined ? "run lease lost" : `step lease lost for ${e.step.name}`,
        code: "lease_lost",
        run: wireRunFromState(e.run),
        ...(e.step === undefined ? {} : { step: e.step })
      })
    case "StepNotFound":
      return new Api.StepNotFound({ error: `step ${e.stepId} not found`, code: "step_not_found" })
  }
}

/** Domain refusals become the wire's error bodies; the union of tags is preserved in the type. */
export const wireErrors = <A, E extends DomainError, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, ApiErrorOf<E>, R> =>
  Effect.mapError(effect, (e) => toApiError(e) as ApiErrorOf<E>)
