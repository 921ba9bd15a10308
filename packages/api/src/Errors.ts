import { Schema } from "effect"
import { Run, Step } from "./Models.js"

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  error: Schema.String,
  code: Schema.Literal("bad_request"),
  issues: Schema.Array(Schema.Struct({ path: Schema.Array(Schema.String), message: Schema.String }))
}) {}

export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  error: Schema.String,
  code: Schema.Literal("unauthorized")
}) {}

export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  error: Schema.String,
  code: Schema.Literal("run_not_found")
}) {}

export class RunCancelled extends Schema.TaggedError<RunCancelled>()("RunCancelled", {
  error: Schema.String,
  code: Schema.Literal("run_cancelled"),
  run: Run
}) {}

export class RunAlreadyCompleted extends Schema.TaggedError<RunAlreadyCompleted>()("RunAlreadyCompleted", {
  error: Schema.String,
  code: Schema.Literal("run_completed"),
  run: Run
}) {}

export class LeaseHeld extends Schema.TaggedError<LeaseHeld>()("LeaseHeld", {
  error: Schema.String,
  code: Schema.Literal("lease_held"),
  leaseOwner: Schema.String
}) {}

export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  error: Schema.String,
  code: Schema.Literal("lease_lost"),
  run: Run,
  step: Schema.optional(Step)
}) {}

export class StepNotFound extends Schema.TaggedError<StepNotFound>()("StepNotFound", {
  error: Schema.String,
  code: Schema.Literal("step_not_found")
}) {}
