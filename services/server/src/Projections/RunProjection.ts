import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Projection } from "../EventStore/Projection.js"
import { jsonParam } from "./Json.js"

export class RunProjection extends Effect.Service<RunProjection>()("Tidebase/RunProjection", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const projection: Projection = {
      tables: ["runs"],
      writes: ({ after, before }) => {
        const run = after.run
        if (run === undefined || run === before.run) return []
        const row = {
          id: run.id,
          workflowName: run.workflowName,
          input: jsonParam(run.input ?? {}),
          metadata: jsonParam(run.metadata ?? {}),
          status: run.status,
          result: jsonParam(run.result),
          error: jsonParam(run.error),
          recoveryWebhook: run.recoveryWebhook,
          channels: jsonParam(run.channels),
          leaseOwner: run.leaseOwner,
          leaseExpiresAt: run.leaseExpiresAt,
          attempt: run.attempt,
          failureClass: run.failureClass,
          createdAt: run.createdAt,
          updatedAt: run.updatedAt,
          completedAt: run.completedAt
        }
        return [sql`insert into runs ${sql.insert(row)} on conflict (id) do update set ${sql.update(row, ["id"])}`]
      }
    }
    return projection
  })
}) {}
