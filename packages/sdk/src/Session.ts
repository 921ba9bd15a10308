import type { StateVersion } from "@tidebase/api"
import type { GateOptions, GateState, LeaseLostError, RunCancelledError, SnapshotOptions, UsageFields, UsageRecorded } from "@tidebase/effect"
import type { RunOptions, StepOptions } from "./Options.js"
import type { StepFn, WorkflowRun, WorkflowState } from "./WorkflowRun.js"

/** A write on a session that has ended: completed, failed, or lost to another worker. */
export class SessionClosedError extends Error {
  override readonly name = "SessionClosedError"
  constructor(readonly runId: string, readonly reason: "completed" | "failed" | "lease_lost" | "cancelled") {
    super(`session on run ${runId} is closed (${reason})`)
  }
}

/** What to attach to: an existing run by id, or a run to create (or resume, when `runId` is one) of `workflowName`. */
export type AttachTarget<I = any> = string | ({ readonly workflowName: string; readonly input?: I } & Omit<RunOptions<I>, "input">)

export interface AttachOptions {
  /** Called once if a heartbeat is refused: another worker took the run over, or it was cancelled. The session is closed. */
  readonly onLeaseLost?: (refusal: LeaseLostError | RunCancelledError) => void
}

/**
 * A run driven step by step from outside a workflow function (a chat, an IDE): the same
 * checkpoints, state, usage and gates as `tide.run`, a heartbeat that keeps the lease while the
 * session is open, and no write accepted after it ends.
 */
export interface Session<I = any, S = any> {
  readonly runId: string
  readonly workflowName: string
  readonly input: I
  /** False once the session completed, failed, or lost its lease. */
  readonly open: boolean
  step<T>(name: string, fn: StepFn<T>): Promise<T>
  step<T>(name: string, options: StepOptions<T>, fn: StepFn<T>): Promise<T>
  readonly state: WorkflowState<S>
  snapshot(label: string, state: unknown, options?: SnapshotOptions): Promise<StateVersion>
  readonly usage: { record(fields: UsageFields): Promise<UsageRecorded> }
  /** Gates never block a session: `begin` answers the gate pending, or its decision once there is one. */
  readonly gates: { begin(name: string, prompt: string, options?: GateOptions): Promise<GateState> }
  /** Completes the run with `result` and ends the session. */
  complete(result?: unknown): Promise<void>
  /** Fails the run with `error` (a resume may run it again) and ends the session. */
  fail(error: unknown): Promise<void>
}

type Runner = <I, A>(workflowName: string, options: RunOptions<I>, fn: (run: WorkflowRun<I>) => Promise<A>) => Promise<A>

/**
 * The session rides on a workflow run whose function waits until the caller ends the session:
 * the run's lease, heartbeat, checkpoints and fencing are exactly a workflow's.
 */
export const attachSession = async <I, S>(
  run: Runner,
  workflowName: string,
  runOptions: RunOptions<I>,
  options: AttachOptions
): Promise<Session<I, S>> => {
  let closed: SessionClosedError["reason"] | undefined
  let lost: LeaseLostError | RunCancelledError | undefined
  let end!: { resolve: (result: unknown) => void; reject: (error: unknown) => void }
  const ended = new Promise<unknown>((resolve, reject) => (end = { resolve, reject }))
  let attached!: (run: WorkflowRun<I>) => void
  const ready = new Promise<WorkflowRun<I>>((resolve) => (attached = resolve))

  const running = run<I, unknown>(workflowName, {
    ...runOptions,
    onLeaseLost: (refusal) => {
      if (closed !== undefined) return
      closed = refusal._tag === "RunCancelledError" ? "cancelled" : "lease_lost"
      lost = refusal
      end.reject(refusal)
      options.onLeaseLost?.(refusal)
    }
  }, (workflowRun) => {
    attached(workflowRun)
    return ended
  })
  // A run that ends without calling the function (it was already completed) or fails to begin.
  const handle = await Promise.race([ready, running.then(() => undefined)])
  if (handle === undefined) throw new SessionClosedError(runOptions.runId ?? "", "completed")
  const target = handle as WorkflowRun<I, S>

  const guard = () => {
    if (closed === undefined) return
    throw lost ?? new SessionClosedError(target.runId, closed)
  }
  const guarded = <A extends Array<any>, B>(fn: (...args: A) => Promise<B>) => async (...args: A): Promise<B> => {
    guard()
    return await fn(...args)
  }
  const finish = async (reason: "completed" | "failed", settle: () => void) => {
    guard()
    closed = reason
    settle()
    await running
  }

  return {
    runId: target.runId,
    workflowName: target.workflowName,
    input: target.input,
    get open() {
      return closed === undefined
    },
    step: ((...args: Array<any>) => {
      guard()
      return (target.step as (...a: Array<any>) => Promise<unknown>)(...args)
    }) as Session<I, S>["step"],
    state: {
      set: guarded(target.state.set),
      patch: guarded(target.state.patch),
      get: guarded(target.state.get),
      save: guarded(target.state.save),
      versions: guarded(target.state.versions)
    },
    snapshot: guarded(target.snapshot),
    usage: { record: guarded(target.usage.record) },
    gates: { begin: guarded(target.openGate) },
    complete: (result) => finish("completed", () => end.resolve(result)),
    fail: async (error) => {
      await finish("failed", () => end.reject(error)).catch((thrown) => {
        if (thrown !== error) throw thrown
      })
    }
  }
}
