import type * as Api from "@tidebase/api"
import { newLeaseOwner, newRecoveryId } from "@tidebase/domain"
import { Effect } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { ServerSettings } from "../ServerSettings.js"
import { RunCommands } from "./RunCommands.js"
import { wireRunFromState } from "./Rows.js"

type RunPath = typeof Api.Payloads.RunPath.Type
type Request<P> = { readonly path: RunPath; readonly payload: P }

/** A budget as the domain keeps it: every limit present, null when not given. */
export const budgetOf = (b: typeof Api.Payloads.BudgetPayload.Type | null | undefined) =>
  b === undefined || b === null ? null : { maxCostUsd: b.maxCostUsd ?? null, maxTotalTokens: b.maxTotalTokens ?? null }

const fence = (p: { readonly leaseOwner?: string | undefined; readonly leaseEpoch?: number | undefined }) =>
  p.leaseOwner === undefined ? undefined : { leaseOwner: p.leaseOwner, leaseEpoch: p.leaseEpoch }

/**
 * The requests every run makes once (begin, heartbeat, release, complete, fail), from decoded
 * request to answer or wire error: shared by the `HttpApi` group and the lean routes.
 */
export class RunHandlers extends Effect.Service<RunHandlers>()("Tidebase/RunHandlers", {
  effect: Effect.gen(function*() {
    const commands = yield* RunCommands
    const settings = yield* ServerSettings

    const begin = ({ headers, path, payload }: Request<typeof Api.Payloads.BeginRunPayload.Type> & {
      readonly headers: typeof Api.Payloads.WorkerHeaders.Type
    }) =>
      commands.begin(
        {
          runId: path.runId,
          workflowName: payload.workflowName,
          leaseOwner: headers["x-tidebase-worker"] ?? newLeaseOwner(),
          leaseMs: payload.leaseMs ?? settings.runLeaseMs
        },
        payload.create === undefined ? undefined : {
          input: payload.create.input ?? {},
          metadata: payload.create.metadata ?? {},
          recoveryWebhook: payload.create.recoveryWebhook ?? null,
          channels: payload.create.channels ?? null,
          budget: budgetOf(payload.create.budget),
          deadlineMs: payload.create.deadlineMs ?? null
        }
      ).pipe(
        Effect.map(({ created, leaseOwner, run, seq }) => ({ run: wireRunFromState(run), leaseOwner, seq, ...(created ? { created } : {}) })),
        wireErrors
      )

    const heartbeat = ({ path, payload }: Request<typeof Api.Payloads.HeartbeatPayload.Type>) =>
      commands.heartbeat({
        runId: path.runId,
        fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
        leaseMs: payload.leaseMs ?? settings.runLeaseMs
      }).pipe(Effect.map((run) => ({ run: wireRunFromState(run) })), wireErrors)

    const release = ({ path, payload }: Request<typeof Api.Payloads.ReleaseRunPayload.Type>) =>
      commands.release({ runId: path.runId, fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch } }).pipe(
        Effect.map(({ released, run }) => ({ run: wireRunFromState(run), released })),
        wireErrors
      )

    const complete = ({ path, payload }: Request<typeof Api.Payloads.CompleteRunPayload.Type>) =>
      commands.complete({ runId: path.runId, result: payload.result ?? null, fence: fence(payload) }).pipe(
        Effect.map((run) => ({ run: wireRunFromState(run) })),
        wireErrors
      )

    const fail = ({ path, payload }: Request<typeof Api.Payloads.FailRunPayload.Type>) =>
      commands.fail({
        runId: path.runId,
        error: payload.error ?? null,
        failureClass: payload.failureClass ?? null,
        fence: fence(payload),
        newRecoveryId: newRecoveryId(),
        backoff: settings.queueBackoff
      }).pipe(Effect.map((run) => ({ run: wireRunFromState(run), requeued: run.status === "queued" })), wireErrors)

    return { begin, heartbeat, release, complete, fail } as const
  })
}) {}
