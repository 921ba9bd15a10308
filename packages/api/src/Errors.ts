import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { Gate as DomainGate } from "@tidebase/domain"
import { Run, Step } from "./Models.js"

/**
 * Every wire error carries its status on the class and its `code` as a constructor default,
 * so endpoints `.addError(X)` and callers write neither. Bodies stay v0.6's `{_tag, error, code, …}`.
 */
const code = <C extends string>(value: C) =>
  Schema.Literal(value).pipe(Schema.propertySignature, Schema.withConstructorDefault(() => value))

const Issue = Schema.Struct({ path: Schema.Array(Schema.String), message: Schema.String })

/** What an optional, nullable field also accepts: said once per member of the union, it only hides the real reason. */
const ALTERNATIVE = /^Expected (null|undefined), actual /

/** A field that failed every member of `X | null | undefined` is named once, with X's reason. */
const withoutAlternatives = <I extends { readonly path: ReadonlyArray<string>; readonly message: string }>(issues: ReadonlyArray<I>) =>
  issues.filter((issue) =>
    !ALTERNATIVE.test(issue.message) ||
    !issues.some((other) => !ALTERNATIVE.test(other.message) && other.path.join(".") === issue.path.join(".")))

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  error: Schema.String,
  code: code("bad_request"),
  issues: Schema.Array(Issue)
}, HttpApiSchema.annotations({ status: 400 })) {
  /** A request that failed validation, naming each field in `error` and in `issues`. */
  static fromIssues(issues: ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly message: string }>) {
    const named = withoutAlternatives(issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })))
    const fields = named.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")
    return new BadRequest({ error: `invalid request: ${fields}`, issues: named })
  }
  static readonly notJson = () => new BadRequest({ error: "request body is not valid JSON", issues: [] })
}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  error: Schema.String.pipe(Schema.propertySignature, Schema.withConstructorDefault(() => "missing or invalid API key")),
  code: code("unauthorized")
}, HttpApiSchema.annotations({ status: 401 })) {}

export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  error: Schema.String,
  code: code("run_not_found")
}, HttpApiSchema.annotations({ status: 404 })) {
  static readonly of = (runId: string) => new RunNotFound({ error: `run ${runId} not found` })
}

export class RunCancelled extends Schema.TaggedError<RunCancelled>()("RunCancelled", {
  error: Schema.String,
  code: code("run_cancelled"),
  run: Run
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (run: Run) => new RunCancelled({ error: "run is cancelled", run })
}

export class RunAlreadyCompleted extends Schema.TaggedError<RunAlreadyCompleted>()("RunAlreadyCompleted", {
  error: Schema.String,
  code: code("run_completed"),
  run: Run
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (run: Run) => new RunAlreadyCompleted({ error: "run is completed", run })
}

export class LeaseHeld extends Schema.TaggedError<LeaseHeld>()("LeaseHeld", {
  error: Schema.String,
  code: code("lease_held"),
  leaseOwner: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (leaseOwner: string) => new LeaseHeld({ error: `run is leased by ${leaseOwner}`, leaseOwner })
}

/** Extension: `begin` named a workflow other than the run's. */
export class WorkflowMismatch extends Schema.TaggedError<WorkflowMismatch>()("WorkflowMismatch", {
  error: Schema.String,
  code: code("workflow_mismatch"),
  run: Run
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (run: Run, workflowName: string) =>
    new WorkflowMismatch({ error: `run ${run.id} belongs to workflow ${run.workflowName}, not ${workflowName}`, run })
}

export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  error: Schema.String,
  code: code("lease_lost"),
  run: Run,
  step: Schema.optional(Step)
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly ofRun = (run: Run) => new LeaseLost({ error: "run lease lost", run })
  static readonly ofStep = (run: Run, step: Step) =>
    new LeaseLost({ error: `step lease lost for ${step.name}`, run, step })
}

export class StepNotResolvable extends Schema.TaggedError<StepNotResolvable>()("StepNotResolvable", {
  error: Schema.String,
  code: code("step_not_resolvable"),
  step: Step
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (step: Step) =>
    new StepNotResolvable({
      error: step.resolution === null
        ? `step ${step.name} is ${step.status}: only a step in manual_review or failed_retryable can be resolved`
        : `step ${step.name} was already resolved (${step.resolution} by ${step.resolvedBy})`,
      step
    })
}

export class StepNotFound extends Schema.TaggedError<StepNotFound>()("StepNotFound", {
  error: Schema.String,
  code: code("step_not_found")
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (stepId: string) => new StepNotFound({ error: `step ${stepId} not found` })
}

/** No route has this method and path (or a path parameter is beyond any route's limit). */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  error: Schema.String,
  code: code("not_found")
}, HttpApiSchema.annotations({ status: 404 })) {
  static readonly route = (method: string, path: string) => new NotFound({ error: `no route for ${method} ${path}` })
}

/** A body in a content type the server does not parse: refused, never silently read as empty. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", {
  error: Schema.String,
  code: code("unsupported_media_type")
}, HttpApiSchema.annotations({ status: 415 })) {
  static readonly of = (contentType: string) =>
    new UnsupportedMediaType({ error: `content-type ${contentType} is not supported: send the body as application/json` })
}

/** A bug on the server: the cause is in the server's log, under the request's method and path. */
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", {
  error: Schema.String.pipe(Schema.propertySignature, Schema.withConstructorDefault(() => "internal server error")),
  code: code("internal_error")
}, HttpApiSchema.annotations({ status: 500 })) {}

/** Extension: the run's recorded usage went over its budget, so it was stopped (failed, `budget_exceeded`) instead of running more. */
export class BudgetExceeded extends Schema.TaggedError<BudgetExceeded>()("BudgetExceeded", {
  error: Schema.String,
  code: code("budget_exceeded"),
  run: Run
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (run: Run) =>
    new BudgetExceeded({ error: `run ${run.id} is over its budget: raise it (PATCH /runs/${run.id} {budget}) and re-invoke the run`, run })
}

/** `state/save` on a stream that has no state yet. */
export class StateNotFound extends Schema.TaggedError<StateNotFound>()("StateNotFound", {
  error: Schema.String,
  code: code("state_not_found")
}, HttpApiSchema.annotations({ status: 404 })) {
  static readonly of = (runId: string, stream: string) => new StateNotFound({ error: `run ${runId} has no state in stream ${stream}` })
}

/** Resolving a gate the run does not have: 409, as v0.6 answers every refused resolve. */
export class UnknownGate extends Schema.TaggedError<UnknownGate>()("UnknownGate", {
  error: Schema.String,
  code: code("gate_not_found")
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (gateId: string) => new UnknownGate({ error: `gate ${gateId} not found` })
}

/** Reading a gate the run does not have. */
export class GateNotFound extends Schema.TaggedError<GateNotFound>()("GateNotFound", {
  error: Schema.String,
  code: code("gate_not_found")
}, HttpApiSchema.annotations({ status: 404 })) {
  static readonly of = (gateId: string) => new GateNotFound({ error: `gate ${gateId} not found` })
}

/** A gate resolves once: the first decision stands and is shown. */
export class GateAlreadyResolved extends Schema.TaggedError<GateAlreadyResolved>()("GateAlreadyResolved", {
  error: Schema.String,
  code: code("gate_resolved"),
  gate: DomainGate
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (gate: DomainGate) =>
    new GateAlreadyResolved({ error: `gate ${gate.name} was already ${gate.status} by ${gate.actor}`, gate })
}

/** The resolve token is not the gate's; nothing is decided. */
export class GateTokenMismatch extends Schema.TaggedError<GateTokenMismatch>()("GateTokenMismatch", {
  error: Schema.String,
  code: code("gate_token_mismatch")
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (gateId: string) => new GateTokenMismatch({ error: `wrong resolve token for gate ${gateId}` })
}

/** The run has no recovery webhook, so there is nothing to call. */
export class NoRecoveryWebhook extends Schema.TaggedError<NoRecoveryWebhook>()("NoRecoveryWebhook", {
  error: Schema.String,
  code: code("no_recovery_webhook")
}, HttpApiSchema.annotations({ status: 422 })) {
  static readonly of = (runId: string) => new NoRecoveryWebhook({ error: `run ${runId} has no recoveryWebhook` })
}

/** Extension: the child run id given is already a run that this edge did not make. */
export class ChildRunIdTaken extends Schema.TaggedError<ChildRunIdTaken>()("ChildRunIdTaken", {
  error: Schema.String,
  code: code("run_id_taken")
}, HttpApiSchema.annotations({ status: 409 })) {
  static readonly of = (runId: string) => new ChildRunIdTaken({ error: `run ${runId} already exists and is not this edge's child` })
}

export class ScheduleNotFound extends Schema.TaggedError<ScheduleNotFound>()("ScheduleNotFound", {
  error: Schema.String,
  code: code("schedule_not_found")
}, HttpApiSchema.annotations({ status: 404 })) {
  static readonly of = (name: string) => new ScheduleNotFound({ error: `schedule ${name} not found` })
}
