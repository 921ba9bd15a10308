import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newLeaseOwner, newRecoveryId, newRunId } from "@tidebase/domain"
import { Effect, Option } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { jsonParts, jsonText } from "../Http/JsonText.js"
import { ServerSettings } from "../ServerSettings.js"
import { RunCommands } from "./RunCommands.js"
import { RunQueries } from "./RunQueries.js"
import { wireRunFromState } from "./Rows.js"

/** A budget as the domain keeps it: every limit present, null when not given. */
const budgetOf = (b: typeof Api.Payloads.BudgetPayload.Type | null | undefined) =>
  b === undefined || b === null ? null : { maxCostUsd: b.maxCostUsd ?? null, maxTotalTokens: b.maxTotalTokens ?? null }

const fence = (p: { readonly leaseOwner?: string | undefined; readonly leaseEpoch?: number | undefined }) =>
  p.leaseOwner === undefined ? undefined : { leaseOwner: p.leaseOwner, leaseEpoch: p.leaseEpoch }

export const RunsHttp = HttpApiBuilder.group(Api.TidebaseApi, "runs", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* RunCommands
    const queries = yield* RunQueries
    const settings = yield* ServerSettings
    const found = (runId: string) =>
      Option.match({
        onNone: () => Effect.fail(Api.RunNotFound.of(runId)),
        onSome: (body: string | ReadonlyArray<Uint8Array>) => Effect.succeed(typeof body === "string" ? jsonText(body) : jsonParts(body))
      })

    return handlers
      .handle("create", ({ path, payload }) =>
        commands.create({
          runId: payload.runId ?? newRunId(),
          workflowName: path.workflowName,
          input: payload.input ?? {},
          metadata: payload.metadata ?? {},
          recoveryWebhook: payload.recoveryWebhook ?? null,
          channels: payload.channels ?? null,
          budget: budgetOf(payload.budget),
          deadlineMs: payload.deadlineMs ?? null
        }).pipe(Effect.map(({ created, run }) => ({ run: wireRunFromState(run), created })))
      )
      .handle("list", ({ urlParams }) => Effect.map(queries.list(urlParams), jsonText))
      .handle("get", ({ path }) => Effect.flatMap(queries.detail(path.runId), found(path.runId)))
      .handle("checkpoints", ({ path }) => Effect.flatMap(queries.checkpoints(path.runId), found(path.runId)))
      .handle("begin", ({ headers, path, payload }) =>
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
      )
      .handle("heartbeat", ({ path, payload }) =>
        commands.heartbeat({
          runId: path.runId,
          fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          leaseMs: payload.leaseMs ?? settings.runLeaseMs
        }).pipe(Effect.map((run) => ({ run: wireRunFromState(run) })), wireErrors)
      )
      .handle("release", ({ path, payload }) =>
        commands.release({ runId: path.runId, fence: { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch } }).pipe(
          Effect.map(({ released, run }) => ({ run: wireRunFromState(run), released })),
          wireErrors
        )
      )
      .handle("complete", ({ path, payload }) =>
        commands.complete({ runId: path.runId, result: payload.result ?? null, fence: fence(payload) }).pipe(
          Effect.map((run) => ({ run: wireRunFromState(run) })),
          wireErrors
        )
      )
      .handle("fail", ({ path, payload }) =>
        commands.fail({
          runId: path.runId,
          error: payload.error ?? null,
          failureClass: payload.failureClass ?? null,
          fence: fence(payload),
          newRecoveryId: newRecoveryId(),
          backoff: settings.queueBackoff
        }).pipe(Effect.map((run) => ({ run: wireRunFromState(run), requeued: run.status === "queued" })), wireErrors)
      )
      .handle("recover", ({ path, payload }) =>
        commands.recover({ runId: path.runId, reason: payload.reason ?? null, newRecoveryId: newRecoveryId() }).pipe(
          Effect.map((recoveryAttempt) => ({ recoveryAttempt })),
          wireErrors
        ))
      .handle("cancel", ({ path, payload }) =>
        commands.cancel({ runId: path.runId, reason: payload.reason ?? null, actor: payload.actor ?? null }).pipe(
          Effect.map((run) => ({ run: wireRunFromState(run) })),
          wireErrors
        )
      )
      .handle("update", ({ path, payload }) =>
        commands.setBudget({ runId: path.runId, budget: budgetOf(payload.budget) }).pipe(
          Effect.map((run) => ({ run: wireRunFromState(run) })),
          wireErrors
        )
      )
  })
)
