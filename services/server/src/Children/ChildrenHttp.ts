import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newEdgeId, newRunId } from "@tidebase/domain"
import { Effect } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { wireRunFromState } from "../Runs/Rows.js"
import { ChildCommands } from "./ChildCommands.js"

export const ChildrenHttp = HttpApiBuilder.group(Api.TidebaseApi, "children", (handlers) =>
  Effect.gen(function*() {
    const children = yield* ChildCommands
    return handlers.handle("create", ({ path, payload }) =>
      children.create({
        parentRunId: path.runId,
        name: payload.name,
        childRunId: payload.runId ?? newRunId(),
        edgeId: newEdgeId(),
        workflowName: payload.workflowName,
        input: payload.input ?? {},
        metadata: payload.metadata ?? {},
        recoveryWebhook: payload.recoveryWebhook ?? null,
        channels: payload.channels ?? null,
        edgeType: payload.edgeType ?? null,
        edgeMetadata: payload.edgeMetadata ?? {}
      }).pipe(
        Effect.map(({ created, edge, run, seq }) => ({ run: wireRunFromState(run), edge, created, seq })),
        wireErrors
      ))
  })
)
