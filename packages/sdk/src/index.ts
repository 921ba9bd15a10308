export type { Checkpoint, Run, RunDetail, Step } from "@tidebase/api"
export {
  DuplicateStepName,
  InputMismatchError,
  LeaseLostError,
  RunCancelledError,
  RunFailedError,
  RunNotFoundError,
  StepLockedError,
  StepNotResolvableError,
  StepTimeoutError,
  TidebaseRequestError,
  UnserializableOutput,
  WorkflowMismatch
} from "@tidebase/effect"
export type { ResolveStepOptions } from "@tidebase/effect"
export type { RunOptions, StepOptions, TidebaseOptions } from "./Options.js"
export { Tidebase } from "./Tidebase.js"
export type { WorkflowFn } from "./Tidebase.js"
export type { WebhookOptions } from "./Webhook.js"
export { signWebhookBody, verifyWebhookSignature } from "./WebhookSignature.js"
export type { WorkflowRun } from "./WorkflowRun.js"
