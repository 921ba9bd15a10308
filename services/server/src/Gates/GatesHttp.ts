import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newGateId } from "@tidebase/domain"
import { Effect, Option } from "effect"
import { wireErrors } from "../Http/DomainErrors.js"
import { jsonText } from "../Http/JsonText.js"
import { RunQueries } from "../Runs/RunQueries.js"
import { GateCommands } from "./GateCommands.js"
import { GateQueries } from "./GateQueries.js"

export const GatesHttp = HttpApiBuilder.group(Api.TidebaseApi, "gates", (handlers) =>
  Effect.gen(function*() {
    const commands = yield* GateCommands
    const queries = yield* GateQueries
    const runs = yield* RunQueries

    return handlers
      .handle("begin", ({ path, payload }) =>
        commands.begin({
          runId: path.runId,
          name: payload.name,
          prompt: payload.prompt,
          data: payload.data ?? null,
          channels: payload.channels ?? null,
          capability: payload.capability ?? null,
          timeoutMs: payload.timeoutMs ?? null,
          defaultDecision: payload.defaultDecision ?? null,
          fence: payload.leaseOwner === undefined ? undefined : { leaseOwner: payload.leaseOwner, leaseEpoch: payload.leaseEpoch },
          newGateId: newGateId()
        }).pipe(wireErrors))
      .handle("get", ({ path }) =>
        Effect.gen(function*() {
          const found = yield* queries.get(path.runId, path.gateId)
          if (Option.isSome(found)) return jsonText(found.value)
          return yield* (yield* runs.exists(path.runId)) ? Api.GateNotFound.of(path.gateId) : Api.RunNotFound.of(path.runId)
        }))
      .handle("resolve", ({ path, payload }) =>
        commands.resolve({
          runId: path.runId,
          gateId: path.gateId,
          token: payload.token,
          decision: payload.decision,
          actor: payload.actor ?? null,
          payload: payload.payload ?? null
        }).pipe(Effect.map((gate) => ({ gate })), wireErrors))
      .handle("list", ({ urlParams }) => Effect.map(queries.list(urlParams), jsonText))
  })
)
