export * from "./Errors.js"
export { CurrentRun } from "./RunContext.js"
export type { RunContext, StepOutcome, StepRecord } from "./RunContext.js"
export type { BudgetInput, RunOptions } from "./Run.js"
export type { GateDecided, GateError, GateOptions, GateState } from "./Gate.js"
export { ChildRunFailedError, ChildRunIdTakenError, createChild, joinChild } from "./Child.js"
export type { ChildError, ChildOptions, ChildSpec, MadeChild } from "./Child.js"
export { awaitGate, openGate } from "./Gate.js"
export { GateResolveRefusedError } from "./ResolveGate.js"
export type { ResolveGateError, ResolveGateOptions } from "./ResolveGate.js"
export { StepNotResolvableError } from "./ResolveStep.js"
export type { ResolveStepError, ResolveStepOptions } from "./ResolveStep.js"
export type {
  BoundState,
  GetStateOptions,
  SaveStateOptions,
  SnapshotOptions,
  StatePatch,
  StateVersionOptions,
  StateVersionsOptions,
  StateWriteError,
  StateWriteOptions
} from "./State.js"
export { bindState, createSnapshot } from "./State.js"
export type { StepOptions } from "./StepOptions.js"
export { CurrentStep } from "./StepScope.js"
export type { StepScope } from "./StepScope.js"
export { Tidebase } from "./Tidebase.js"
export type { CancelRunOptions, ConnectionOptions, CreateRunOptions, ForkOptions, ListRunsFilter, TidebaseService } from "./Tidebase.js"
export type { SubscribeOptions } from "./LiveEvents.js"
export { TidebaseClient } from "./TidebaseClient.js"
export { TidebaseConfig } from "./TidebaseConfig.js"
export { bindUsage } from "./Usage.js"
export type { BoundUsage, UsageFields, UsageRecorded } from "./Usage.js"
export * as Workflow from "./Workflow.js"
export type { StateHandle } from "./Workflow.js"
export * as Session from "./Session.js"
export * as Worker from "./Worker.js"
export type { ClaimOptions, Enqueued, EnqueueOptions, QueueSettings, ScheduleOptions } from "./Queues.js"
export { DirectTransport } from "./DirectTransport.js"
export type { DirectAnswer } from "./DirectTransport.js"
