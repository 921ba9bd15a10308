import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newLeaseOwner, newRunId } from "@tidebase/domain"
import { Effect, Option } from "effect"
import { ServerSettings } from "../ServerSettings.js"
import { RunCommands } from "../Runs/RunCommands.js"
import { RunQueries } from "../Runs/RunQueries.js"
import { wireRunFromState } from "../Runs/Rows.js"
import { wireErrors } from "./DomainErrors.js"

const fence = (p: { readonly leaseOwner?: string | undefined; readonly leaseEpoch?: number | undefined }) =>
  p.leaseOwner === undefined ? undefined : { leaseOwner: p.leaseOwner, leaseEpoch: p.leaseEpoch }

export const RunsHttp = HttpApiBuilder.group(Api.TidebaseApi, "runs", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* RunCommands
    const queries = yield* RunQueries
    const settings = yield* ServerSettings
    const notFound = (runId: string) => new Api.RunNotFound({ error: `run ${runId} not found`, code: "run_not_found" })

    return handlers
      .handle("create", ({ path, payload }) =>
        commands.create({
          runId: payload.runId ?? newRunId(),
          workflowName: path.workflowName,
          input: payload.input ?? {},
          metadata: payload.metadata ?? {},
          recoveryWebhook: payload.recoveryWebhook ?? null,
          channels: payload.channels ?? null
        }).pipe(Effect.map(({ created, run }) => ({ run: wireRunFromState(run), created })))
      )
      .handle("list", ({ urlParams }) => Effect.map(queries.list(urlParams), (runs) => ({ runs })))
      .handle("get", ({ path }) =>
        Effect.flatMap(queries.detail(path.runId), Option.match({
          onNone: () => Effect.fail(notFound(path.runId)),
          onSome: Effect.succeed
        }))
      )
      .handle("checkpoints", ({ path }) =>
        Effect.gen(function*() {
          const run = yield* Effect.flatMap(queries.findRun(path.runId), Option.match({
            onNone: () => Effect.fail(notFound(path.runId)),
            onSome: Effect.succeed
          }))
          return { run, checkpoints: yield* queries.checkpoints(path.runId) }
        })
      )
      .handle("begin", ({ headers, path, payload }) =>
        commands.begin({
          runId: path.runId,
          leaseOwner: headers["x-tidebase-worker"] ?? newLeaseOwner(),
          leaseMs: payload.leaseMs ?? settings.runLeaseMs
        }).pipe(
          Effect.map(({ leaseOwner, run }) => ({ run: wireRunFromState(run), leaseOwner })),
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
          fence: fence(payload)
        }).pipe(Effect.map((run) => ({ run: wireRunFromState(run), requeued: false })), wireErrors)
      )
  })
)
