export type {
  Budget,
  Checkpoint,
  Gate,
  QueueConfig,
  QueueSummary,
  ScheduleModel as Schedule,
  Event,
  Run,
  RunDetail,
  RunReplay,
  State,
  StateStream,
  StateVersion,
  Step,
  Usage,
  UsageTotals
} from "@tidebase/api"
export {
  BudgetExceededError,
  ChildRunFailedError,
  ChildRunIdTakenError,
  DuplicateStepName,
  GateResolveRefusedError,
  InputMismatchError,
  LeaseLostError,
  NoRecoveryWebhookError,
  RunAlreadyCompletedError,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  StateNotFoundError,
  StepLockedError,
  StepNotResolvableError,
  StepTimeoutError,
  TidebaseRequestError,
  UnserializableOutput,
  UnserializableState,
  WorkflowMismatch
} from "@tidebase/effect"
export type {
  BudgetInput,
  ChildOptions,
  ChildSpec,
  CancelRunOptions,
  Enqueued,
  EnqueueOptions,
  ForkOptions,
  ListRunsFilter,
  QueueSettings,
  SubscribeOptions,
  ScheduleOptions,
  GateDecided,
  GateState,
  GateOptions,
  GetStateOptions,
  ResolveGateOptions,
  ResolveStepOptions,
  SaveStateOptions,
  SnapshotOptions,
  StatePatch,
  StateVersionOptions,
  StateVersionsOptions,
  StateWriteOptions,
  UsageFields,
  UsageRecorded
} from "@tidebase/effect"
export type { RunOptions, StepOptions, TidebaseOptions } from "./Options.js"
export { Tidebase } from "./Tidebase.js"
export type { EventSubscription } from "./Subscription.js"
export { SessionClosedError } from "./Session.js"
export type { AttachOptions, AttachTarget, Session } from "./Session.js"
export type { WorkflowFn, WorkOptions } from "./Tidebase.js"
export type { WebhookOptions } from "./Webhook.js"
export { signWebhookBody, verifyWebhookSignature } from "./WebhookSignature.js"
export type { StepContext, StepFn, WorkflowRun, WorkflowState } from "./WorkflowRun.js"
