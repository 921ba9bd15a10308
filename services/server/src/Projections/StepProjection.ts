import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Projection } from "../EventStore/Projection.js"
import { jsonParam } from "./Json.js"

export class StepProjection extends Effect.Service<StepProjection>()("Tidebase/StepProjection", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const projection: Projection = {
      tables: ["steps"],
      writes: ({ after, before, streamId }) =>
        [...after.steps.values()].filter((step) => before.steps.get(step.name) !== step).map((step) => {
          const row = {
            id: step.id,
            runId: streamId,
            name: step.name,
            inputHash: step.inputHash,
            input: jsonParam(step.input),
            options: jsonParam(step.options),
            resumeContract: jsonParam(step.resumeContract),
            status: step.status,
            output: jsonParam(step.output),
            error: jsonParam(step.error),
            resumeDecision: step.resumeDecision,
            leaseOwner: step.leaseOwner,
            leaseExpiresAt: step.leaseExpiresAt,
            attempt: step.attempt,
            startedAt: step.startedAt,
            completedAt: step.completedAt,
            createdAt: step.createdAt,
            updatedAt: step.updatedAt
          }
          return sql`insert into steps ${sql.insert(row)} on conflict (id) do update set ${sql.update(row, ["id"])}`
        })
    }
    return projection
  })
}) {}
