import * as Api from "@tidebase/api"
import type { DomainError } from "@tidebase/domain"
import { absurd, Effect } from "effect"
import { wireRunFromState } from "../Runs/Rows.js"

type ApiErrorOf<E extends DomainError> = E extends { _tag: "RunNotFound" } ? Api.RunNotFound
  : E extends { _tag: "RunCancelled" } ? Api.RunCancelled
  : E extends { _tag: "RunAlreadyCompleted" } ? Api.RunAlreadyCompleted
  : E extends { _tag: "LeaseHeld" } ? Api.LeaseHeld
  : E extends { _tag: "LeaseLost" } ? Api.LeaseLost
  : E extends { _tag: "WorkflowMismatch" } ? Api.WorkflowMismatch
  : E extends { _tag: "StepNotResolvable" } ? Api.StepNotResolvable
  : E extends { _tag: "StateNotFound" } ? Api.StateNotFound
  : E extends { _tag: "BudgetExceeded" } ? Api.BudgetExceeded
  : E extends { _tag: "GateNotFound" } ? Api.UnknownGate
  : E extends { _tag: "GateAlreadyResolved" } ? Api.GateAlreadyResolved
  : E extends { _tag: "GateTokenMismatch" } ? Api.GateTokenMismatch
  : E extends { _tag: "ChildRunIdTaken" } ? Api.ChildRunIdTaken
  : E extends { _tag: "NoRecoveryWebhook" } ? Api.NoRecoveryWebhook
  : Api.StepNotFound

const toApiError = (e: DomainError) => {
  switch (e._tag) {
    case "RunNotFound":
      return Api.RunNotFound.of(e.runId)
    case "RunCancelled":
      return Api.RunCancelled.of(wireRunFromState(e.run))
    case "RunAlreadyCompleted":
      return Api.RunAlreadyCompleted.of(wireRunFromState(e.run))
    case "LeaseHeld":
      return Api.LeaseHeld.of(e.leaseOwner)
    case "LeaseLost": {
      const run = wireRunFromState(e.run)
      return e.step === undefined ? Api.LeaseLost.ofRun(run) : Api.LeaseLost.ofStep(run, e.step)
    }
    case "StepNotFound":
      return Api.StepNotFound.of(e.stepId)
    case "StepNotResolvable":
      return Api.StepNotResolvable.of(e.step)
    case "WorkflowMismatch":
      return Api.WorkflowMismatch.of(wireRunFromState(e.run), e.workflowName)
    case "StateNotFound":
      return Api.StateNotFound.of(e.runId, e.stream)
    case "BudgetExceeded":
      return Api.BudgetExceeded.of(wireRunFromState(e.run))
    case "GateNotFound":
      return Api.UnknownGate.of(e.gateId)
    case "GateAlreadyResolved":
      return Api.GateAlreadyResolved.of(e.gate)
    case "GateTokenMismatch":
      return Api.GateTokenMismatch.of(e.gate.id)
    case "ChildRunIdTaken":
      return Api.ChildRunIdTaken.of(e.runId)
    case "NoRecoveryWebhook":
      return Api.NoRecoveryWebhook.of(e.runId)
    default:
      return absurd<never>(e)
  }
}

/** Domain refusals become the wire's error bodies; the union of tags is preserved in the type. */
export const wireErrors = <A, E extends DomainError, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, ApiErrorOf<E>, R> =>
  Effect.mapError(effect, (e) => toApiError(e) as ApiErrorOf<E>)
