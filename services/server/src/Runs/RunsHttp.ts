import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newRecoveryId, newRunId } from "@tidebase/domain"
import { Effect, Option } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { jsonParts, jsonText } from "../Http/JsonText.js"
import { RunCommands } from "./RunCommands.js"
import { budgetOf, RunHandlers } from "./RunHandlers.js"
import { RunQueries } from "./RunQueries.js"
import { wireRunFromState } from "./Rows.js"

export const RunsHttp = HttpApiBuilder.group(Api.TidebaseApi, "runs", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* RunCommands
    const queries = yield* RunQueries
    const runHandlers = yield* RunHandlers
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
      .handle("begin", runHandlers.begin)
      .handle("heartbeat", runHandlers.heartbeat)
      .handle("release", runHandlers.release)
      .handle("complete", runHandlers.complete)
      .handle("fail", runHandlers.fail)
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
