import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newStateStreamId, newStateVersionId, runStream } from "@tidebase/domain"
import { Effect } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { jsonText } from "../Http/JsonText.js"
import { RunQueries } from "../Runs/RunQueries.js"
import { StateCommands } from "./StateCommands.js"
import { StateQueries } from "./StateQueries.js"

interface WriteFields {
  readonly reason?: string | null | undefined
  readonly importance?: Api.StateVersion["importance"] | undefined
  readonly metadata?: unknown
  readonly createdBy?: string | null | undefined
  readonly stepId?: string | null | undefined
  readonly leaseOwner?: string | undefined
  readonly leaseEpoch?: number | undefined
}

/** What every state write carries besides its value: the version's fields, the worker's fence, fresh ids. */
const writeFields = (runId: string, p: WriteFields) => ({
  runId,
  reason: p.reason,
  importance: p.importance,
  metadata: p.metadata,
  createdBy: p.createdBy,
  stepId: p.stepId,
  fence: p.leaseOwner === undefined ? undefined : { leaseOwner: p.leaseOwner, leaseEpoch: p.leaseEpoch },
  newVersionId: newStateVersionId(),
  newStreamId: newStateStreamId()
})

export const StateHttp = HttpApiBuilder.group(Api.TidebaseApi, "state", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* StateCommands
    const queries = yield* StateQueries
    const runs = yield* RunQueries
    const existing = (runId: string) =>
      runs.exists(runId).pipe(Effect.filterOrFail((found) => found, () => Api.RunNotFound.of(runId)))

    return handlers
      .handle("put", ({ path, payload }) =>
        commands.write({ ...writeFields(path.runId, payload), stream: payload.stream, label: payload.label, mode: "replace", value: payload.value }).pipe(
          Effect.map((state) => ({ state })),
          wireErrors
        ))
      .handle("patch", ({ path, payload }) =>
        commands.write({ ...writeFields(path.runId, payload), stream: payload.stream, label: payload.label, mode: "merge", value: payload.value }).pipe(
          Effect.map((state) => ({ state })),
          wireErrors
        ))
      .handle("save", ({ path, payload }) =>
        commands.save({ ...writeFields(path.runId, payload), stream: payload.stream, label: payload.label }).pipe(
          Effect.map((stateVersion) => ({ stateVersion })),
          wireErrors
        ))
      .handle("createSnapshot", ({ path, payload }) =>
        commands.snapshot({ ...writeFields(path.runId, payload), label: payload.label, value: payload.state, target: payload.target }).pipe(
          Effect.map((snapshot) => ({ snapshot })),
          wireErrors
        ))
      .handle("get", ({ path, urlParams }) =>
        Effect.zipRight(
          existing(path.runId),
          Effect.map(queries.current(path.runId, urlParams.stream ?? runStream(path.runId)), (body) => jsonText(`{"state":${body}}`))
        ))
      .handle("versions", ({ path, urlParams }) =>
        Effect.zipRight(existing(path.runId), Effect.map(queries.versions(path.runId, urlParams), (body) => jsonText(`{"stateVersions":${body}}`))))
      .handle("snapshots", ({ path }) =>
        Effect.zipRight(existing(path.runId), Effect.map(queries.snapshots(path.runId), (body) => jsonText(`{"snapshots":${body}}`))))
  })
)
