import { HttpApi, HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Authorization, EventStreamAuthorization } from "./Authorization.js"
import {
  BadRequest,
  BudgetExceeded,
  ChildRunIdTaken,
  GateAlreadyResolved,
  GateNotFound,
  GateTokenMismatch,
  LeaseHeld,
  LeaseLost,
  NoRecoveryWebhook,
  RunAlreadyCompleted,
  RunCancelled,
  RunNotFound,
  ScheduleNotFound,
  StepNotFound,
  StateNotFound,
  StepNotResolvable,
  UnknownGate,
  WorkflowMismatch
} from "./Errors.js"
import { Checkpoint, Event, Gate, QueueConfig, QueueSummary, ScheduleModel, RecoveryAttempt, Run, RunDetail, RunEdge, RunReplay, RunStatus, State, StateVersion, Step, Usage } from "./Models.js"
import * as P from "./Payloads.js"

export class HealthGroup extends HttpApiGroup.make("health").add(
  HttpApiEndpoint.get("health", "/health").addSuccess(Schema.Struct({ ok: Schema.Literal(true) }))
) {}

export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.post("create", "/runs/:workflowName")
      .setPath(P.WorkflowPath)
      .setPayload(P.CreateRunPayload)
      .addSuccess(Schema.Struct({ run: Run, created: Schema.Boolean }))
  )
  .add(
    HttpApiEndpoint.get("list", "/runs")
      .setUrlParams(P.ListRunsParams)
      .addSuccess(Schema.Struct({
        runs: Schema.Array(Run),
        /** Extension: the `cursor` of the next page; null on the last. */
        next: Schema.NullOr(Schema.String)
      }))
  )
  .add(
    HttpApiEndpoint.get("get", "/runs/:runId")
      .setPath(P.RunPath)
      .addSuccess(RunDetail)
      .addError(RunNotFound)
  )
  .add(
    HttpApiEndpoint.get("checkpoints", "/runs/:runId/checkpoints")
      .setPath(P.RunPath)
      .addSuccess(Schema.Struct({ run: Run, checkpoints: Schema.Array(Checkpoint) }))
      .addError(RunNotFound)
  )
  .add(
    HttpApiEndpoint.post("begin", "/runs/:runId/begin")
      .setPath(P.RunPath)
      .setHeaders(P.WorkerHeaders)
      .setPayload(P.BeginRunPayload)
      .addSuccess(Schema.Struct({
        run: Run,
        leaseOwner: Schema.NullOr(Schema.String),
        /** Extension: the run's last event seq as answered; the worker follows its events (a cancel) after it. */
        seq: Schema.optional(Schema.Number),
        /** Extension: this begin created the run (it asked to, with `create`). */
        created: Schema.optional(Schema.Boolean)
      }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseHeld)
      .addError(WorkflowMismatch)
  )
  .add(
    HttpApiEndpoint.post("heartbeat", "/runs/:runId/heartbeat")
      .setPath(P.RunPath)
      .setPayload(P.HeartbeatPayload)
      .addSuccess(Schema.Struct({ run: Run }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
  )
  .add(
    HttpApiEndpoint.post("release", "/runs/:runId/release")
      .setPath(P.RunPath)
      .setPayload(P.ReleaseRunPayload)
      .addSuccess(Schema.Struct({ run: Run, released: Schema.Boolean }))
      .addError(RunNotFound)
  )
  .add(
    HttpApiEndpoint.post("complete", "/runs/:runId/complete")
      .setPath(P.RunPath)
      .setPayload(P.CompleteRunPayload)
      .addSuccess(Schema.Struct({ run: Run }))
      .addError(RunNotFound)
      .addError(LeaseLost)
  )
  .add(
    HttpApiEndpoint.post("fail", "/runs/:runId/fail")
      .setPath(P.RunPath)
      .setPayload(P.FailRunPayload)
      .addSuccess(Schema.Struct({ run: Run, requeued: Schema.Boolean }))
      .addError(RunNotFound)
      .addError(LeaseLost)
  )
  .add(
    HttpApiEndpoint.post("recover", "/runs/:runId/recover")
      .setPath(P.RunPath)
      .setPayload(P.RecoverRunPayload)
      .addSuccess(Schema.Struct({ recoveryAttempt: RecoveryAttempt }))
      .addError(RunNotFound)
      .addError(NoRecoveryWebhook)
  )
  .add(
    HttpApiEndpoint.post("cancel", "/runs/:runId/cancel")
      .setPath(P.RunPath)
      .setPayload(P.CancelRunPayload)
      .addSuccess(Schema.Struct({ run: Run }))
      .addError(RunNotFound)
      .addError(RunAlreadyCompleted)
  )
  .add(
    HttpApiEndpoint.patch("update", "/runs/:runId")
      .setPath(P.RunPath)
      .setPayload(P.UpdateRunPayload)
      .addSuccess(Schema.Struct({ run: Run }))
      .addError(RunNotFound)
  )
  .middleware(Authorization)
{}

/** The answers that show a step which already has a record, the same for begin and checkpoint. */
const ExistingStepAnswers = [
  Schema.Struct({ action: Schema.Literal("return"), step: Step, output: Schema.Unknown }),
  Schema.Struct({ action: Schema.Literal("locked"), step: Step }),
  // `reason` and `actor` are ours (v0.6 answers the action alone): the worker learns why and who.
  Schema.Struct({
    action: Schema.Literal("cancelled"),
    reason: Schema.optional(Schema.NullOr(Schema.String)),
    actor: Schema.optional(Schema.NullOr(Schema.String))
  }),
  Schema.Struct({
    action: Schema.Literal("input_mismatch"),
    step: Step,
    expectedInputHash: Schema.String,
    actualInputHash: Schema.String
  })
] as const

export const StepBeginResult = Schema.Union(
  Schema.Struct({ action: Schema.Literal("execute"), step: Step, leaseOwner: Schema.String }),
  ...ExistingStepAnswers
)
export type StepBeginResult = typeof StepBeginResult.Type

/** Extension: what recording an already-run step answered; `recorded` carries the new checkpoint. */
export const StepCheckpointResult = Schema.Union(
  Schema.Struct({ action: Schema.Literal("recorded"), step: Step }),
  ...ExistingStepAnswers
)
export type StepCheckpointResult = typeof StepCheckpointResult.Type

export class StepsGroup extends HttpApiGroup.make("steps")
  .add(
    HttpApiEndpoint.get("list", "/runs/:runId/steps")
      .setPath(P.RunPath)
      .setUrlParams(P.StepsPageParams)
      .addSuccess(Schema.Struct({ steps: Schema.Array(Step), next: Schema.NullOr(Schema.Number) }))
      .addError(RunNotFound)
  )
  .add(
    HttpApiEndpoint.post("checkpoint", "/runs/:runId/steps/checkpoint")
      .setPath(P.RunPath)
      .setPayload(P.CheckpointStepPayload)
      .addSuccess(StepCheckpointResult)
      .addError(RunNotFound)
      .addError(LeaseLost)
      .addError(RunAlreadyCompleted)
      .addError(BudgetExceeded)
  )
  .add(
    HttpApiEndpoint.post("begin", "/runs/:runId/steps/begin")
      .setPath(P.RunPath)
      .setPayload(P.BeginStepPayload)
      .addSuccess(StepBeginResult)
      .addError(RunNotFound)
      .addError(LeaseLost)
      .addError(RunAlreadyCompleted)
      .addError(BudgetExceeded)
  )
  .add(
    HttpApiEndpoint.post("complete", "/runs/:runId/steps/:stepId/complete")
      .setPath(P.StepPath)
      .setPayload(P.CompleteStepPayload)
      .addSuccess(Schema.Struct({ step: Step }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
      .addError(StepNotFound)
  )
  .add(
    HttpApiEndpoint.post("fail", "/runs/:runId/steps/:stepId/fail")
      .setPath(P.StepPath)
      .setPayload(P.FailStepPayload)
      .addSuccess(Schema.Struct({ step: Step }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
      .addError(StepNotFound)
  )
  .add(
    HttpApiEndpoint.post("resolve", "/runs/:runId/steps/:stepId/resolve")
      .setPath(P.StepPath)
      .setPayload(P.ResolveStepPayload)
      .addSuccess(Schema.Struct({ step: Step, run: Run }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(RunAlreadyCompleted)
      .addError(StepNotFound)
      .addError(StepNotResolvable)
  )
  .middleware(Authorization)
{}

export class StateGroup extends HttpApiGroup.make("state")
  .add(
    HttpApiEndpoint.put("put", "/runs/:runId/state")
      .setPath(P.RunPath)
      .setPayload(P.PutStatePayload)
      .addSuccess(Schema.Struct({ state: State }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
  )
  .add(
    HttpApiEndpoint.patch("patch", "/runs/:runId/state")
      .setPath(P.RunPath)
      .setPayload(P.PatchStatePayload)
      .addSuccess(Schema.Struct({ state: State }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
  )
  .add(
    HttpApiEndpoint.get("get", "/runs/:runId/state")
      .setPath(P.RunPath)
      .setUrlParams(P.StateParams)
      .addSuccess(Schema.Struct({ state: Schema.NullOr(State) }))
      .addError(RunNotFound)
  )
  .add(
    HttpApiEndpoint.post("save", "/runs/:runId/state/save")
      .setPath(P.RunPath)
      .setPayload(P.SaveStatePayload)
      .addSuccess(Schema.Struct({ stateVersion: StateVersion }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
      .addError(StateNotFound)
  )
  .add(
    HttpApiEndpoint.get("versions", "/runs/:runId/state/versions")
      .setPath(P.RunPath)
      .setUrlParams(P.StateVersionsParams)
      .addSuccess(Schema.Struct({ stateVersions: Schema.Array(StateVersion) }))
      .addError(RunNotFound)
  )
  .add(
    HttpApiEndpoint.post("createSnapshot", "/runs/:runId/snapshots")
      .setPath(P.RunPath)
      .setPayload(P.CreateSnapshotPayload)
      .addSuccess(Schema.Struct({ snapshot: StateVersion }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
  )
  .add(
    HttpApiEndpoint.get("snapshots", "/runs/:runId/snapshots")
      .setPath(P.RunPath)
      .addSuccess(Schema.Struct({ snapshots: Schema.Array(StateVersion) }))
      .addError(RunNotFound)
  )
  .middleware(Authorization)
{}

export class UsageGroup extends HttpApiGroup.make("usage").add(
  HttpApiEndpoint.post("record", "/runs/:runId/usage")
    .setPath(P.RunPath)
    .setPayload(P.RecordUsagePayload)
    .addSuccess(Schema.Struct({
      usage: Usage,
      /** Extension: the record's idempotency key was seen before; `usage` is the first record. */
      deduplicated: Schema.Boolean,
      /** Extension: the run is over its budget: its next step will stop it. */
      budgetExceeded: Schema.Boolean
    }))
    .addError(RunNotFound)
).middleware(Authorization) {}

export class ChildrenGroup extends HttpApiGroup.make("children").add(
  HttpApiEndpoint.post("create", "/runs/:runId/children")
    .setPath(P.RunPath)
    .setPayload(P.CreateChildPayload)
    .addSuccess(Schema.Struct({
      run: Run,
      edge: RunEdge,
      created: Schema.Boolean,
      /** Extension: the child's last event seq as answered: a parent joining it follows its events after this. */
      seq: Schema.Number
    }))
    .addError(RunNotFound)
    .addError(RunCancelled)
    .addError(ChildRunIdTaken)
).middleware(Authorization) {}

export class GatesGroup extends HttpApiGroup.make("gates")
  .add(
    HttpApiEndpoint.post("begin", "/runs/:runId/gates/begin")
      .setPath(P.RunPath)
      .setPayload(P.BeginGatePayload)
      .addSuccess(Schema.Struct({
        action: Schema.Literal("wait", "return"),
        gate: Gate,
        /** Extension: the run's last event seq as answered: its events after it carry the gate's decision. */
        seq: Schema.Number
      }))
      .addError(RunNotFound)
      .addError(RunCancelled)
      .addError(LeaseLost)
      .addError(RunAlreadyCompleted)
      .addError(BudgetExceeded)
  )
  .add(
    HttpApiEndpoint.get("get", "/runs/:runId/gates/:gateId")
      .setPath(P.GatePath)
      .addSuccess(Schema.Struct({ gate: Gate, runStatus: RunStatus }))
      .addError(RunNotFound)
      .addError(GateNotFound)
  )
  .add(
    HttpApiEndpoint.post("resolve", "/runs/:runId/gates/:gateId/resolve")
      .setPath(P.GatePath)
      .setPayload(P.ResolveGatePayload)
      .addSuccess(Schema.Struct({ gate: Gate }))
      .addError(RunNotFound)
      .addError(UnknownGate)
      .addError(GateAlreadyResolved)
      .addError(GateTokenMismatch)
  )
  .add(
    HttpApiEndpoint.get("list", "/gates")
      .setUrlParams(P.GatesParams)
      .addSuccess(Schema.Struct({ gates: Schema.Array(Gate), next: Schema.NullOr(Schema.String) }))
  )
  .middleware(Authorization)
{}

/** Extension: debugging from the log: a run as of any event, and forks of it. */
export class ReplayGroup extends HttpApiGroup.make("replay")
  .add(
    HttpApiEndpoint.get("replay", "/runs/:runId/replay")
      .setPath(P.RunPath)
      .setUrlParams(P.ReplayParams)
      .addSuccess(RunReplay)
      .addError(RunNotFound)
  )
  .add(
    HttpApiEndpoint.post("fork", "/runs/:runId/fork")
      .setPath(P.RunPath)
      .setPayload(P.ForkPayload)
      .addSuccess(Schema.Struct({
        run: Run,
        /** The source's seq the fork's history ends at. */
        forkedAtSeq: Schema.Number,
        steps: Schema.Array(Step)
      }))
      .addError(RunNotFound)
      .addError(ChildRunIdTaken)
  )
  .middleware(Authorization)
{}

/**
 * `GET /runs/:runId/events` answers `{events}` JSON to `accept: application/json` and
 * otherwise streams Server-Sent Events; the success schema describes the JSON form.
 */
export class EventsGroup extends HttpApiGroup.make("events").add(
  HttpApiEndpoint.get("list", "/runs/:runId/events")
    .setPath(P.RunPath)
    .setUrlParams(P.EventsParams)
    .setHeaders(P.EventsHeaders)
    .addSuccess(Schema.Struct({ events: Schema.Array(Event) }))
    .addError(RunNotFound)
    .middleware(EventStreamAuthorization)
).add(
  // Extension: every run's events, in position order; the same JSON / SSE forms, `after` a position.
  HttpApiEndpoint.get("feed", "/events")
    .setUrlParams(P.FeedParams)
    .setHeaders(P.EventsHeaders)
    .addSuccess(Schema.Struct({ events: Schema.Array(Event), next: Schema.Number }))
    .middleware(EventStreamAuthorization)
) {}

export class QueuesGroup extends HttpApiGroup.make("queues")
  .add(
    HttpApiEndpoint.post("enqueue", "/queues/:queue/enqueue")
      .setPath(P.QueuePath)
      .setPayload(P.EnqueuePayload)
      .addSuccess(Schema.Struct({ run: Run, deduplicated: Schema.Boolean }))
  )
  .add(
    HttpApiEndpoint.post("claim", "/queues/claim")
      .setPayload(P.ClaimPayload)
      .addSuccess(Schema.Struct({ runs: Schema.Array(Run), leaseOwner: Schema.String }))
  )
  .add(HttpApiEndpoint.get("list", "/queues").addSuccess(Schema.Struct({ queues: Schema.Array(QueueSummary) })))
  .add(
    HttpApiEndpoint.put("configure", "/queues/:queue/config")
      .setPath(P.QueuePath)
      .setPayload(P.QueueConfigPayload)
      .addSuccess(Schema.Struct({ config: QueueConfig }))
  )
  .middleware(Authorization)
{}

export class SchedulesGroup extends HttpApiGroup.make("schedules")
  .add(
    HttpApiEndpoint.put("set", "/schedules/:name")
      .setPath(P.SchedulePath)
      .setPayload(P.SetSchedulePayload)
      .addSuccess(Schema.Struct({ schedule: ScheduleModel }))
  )
  .add(HttpApiEndpoint.get("list", "/schedules").addSuccess(Schema.Struct({ schedules: Schema.Array(ScheduleModel) })))
  .add(
    HttpApiEndpoint.del("delete", "/schedules/:name")
      .setPath(P.SchedulePath)
      .addSuccess(Schema.Struct({ deleted: Schema.String }))
      .addError(ScheduleNotFound)
  )
  .middleware(Authorization)
{}

export class TidebaseApi extends HttpApi.make("tidebase")
  .add(HealthGroup)
  .add(RunsGroup)
  .add(StepsGroup)
  .add(StateGroup)
  .add(UsageGroup)
  .add(GatesGroup)
  .add(ChildrenGroup)
  .add(QueuesGroup)
  .add(SchedulesGroup)
  .add(EventsGroup)
  .add(ReplayGroup)
  .addError(BadRequest)
  .annotate(OpenApi.Title, "Tidebase")
  .annotate(OpenApi.Description, "Checkpoints for AI agent workflows: the Tidebase v0.6 wire protocol and its extensions.")
{}

export { Authorization, EventStreamAuthorization } from "./Authorization.js"
