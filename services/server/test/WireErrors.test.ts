import { HttpApiSchema } from "@effect/platform"
import { expect } from "@effect/vitest"
import * as Api from "@tidebase/api"
import { Effect } from "effect"
import type { Schema, SchemaAST as AST } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const statusOf = {
  BadRequest: 400,
  Unauthorized: 401,
  RunNotFound: 404,
  RunCancelled: 409,
  RunAlreadyCompleted: 409,
  LeaseHeld: 409,
  LeaseLost: 409,
  StepNotFound: 409
} as const
const classes = [
  Api.BadRequest,
  Api.Unauthorized,
  Api.RunNotFound,
  Api.RunCancelled,
  Api.RunAlreadyCompleted,
  Api.LeaseHeld,
  Api.LeaseLost,
  Api.StepNotFound
] as const

/** Every error schema any endpoint may answer with, as declared in the api package. */
const declaredErrors = () => {
  const schemas = new Set<Schema.Schema.Any>()
  const add = (errors: Schema.Schema.All) => HttpApiSchema.deunionize(schemas, errors as Schema.Schema.Any)
  add(Api.TidebaseApi.errorSchema)
  for (const group of Object.values(Api.TidebaseApi.groups)) {
    add(group.errorSchema)
    for (const endpoint of Object.values(group.endpoints)) add(endpoint.errorSchema)
  }
  return schemas
}

/** A union member is a copy of the class's AST (annotations merged), sharing its type side. */
const sameClass = (a: AST.AST, b: AST.AST) => a._tag === "Transformation" && b._tag === "Transformation" && a.to === b.to

serverSuite("wire errors", (it) => {
  it.effect("every api error declares its status once and the wire body keeps its v0.6 shape", () =>
    Effect.gen(function*() {
      for (const error of classes) expect([error._tag, HttpApiSchema.getStatusError(error)]).toEqual([error._tag, statusOf[error._tag]])
      // Whatever endpoint declares an error, it answers with the class's status.
      const seen = new Set<string>()
      for (const schema of declaredErrors()) {
        const error = classes.find((c) => sameClass(c.ast, schema.ast))
        if (error === undefined) continue // the platform's own HttpApiDecodeError, turned into BadRequest
        seen.add(error._tag)
        expect([error._tag, HttpApiSchema.getStatusError(schema)]).toEqual([error._tag, statusOf[error._tag]])
      }
      expect([...seen].sort()).toEqual(Object.keys(statusOf).sort())

      const api = http((yield* TestServer).url)
      const unknown = yield* api.get("/runs/no-such-run")
      expect([unknown.status, unknown.body]).toEqual([
        404,
        { _tag: "RunNotFound", error: "run no-such-run not found", code: "run_not_found" }
      ])

      const runId = (yield* api.post("/runs/wire-errors", {})).body.run.id
      yield* api.post(`/runs/${runId}/begin`, undefined, { "x-tidebase-worker": "w1" })
      const held = yield* api.post(`/runs/${runId}/begin`, undefined, { "x-tidebase-worker": "w2" })
      expect([held.status, held.body]).toEqual([
        409,
        { _tag: "LeaseHeld", error: "run is leased by w1", code: "lease_held", leaseOwner: "w1" }
      ])

      const lost = yield* api.post(`/runs/${runId}/heartbeat`, { leaseOwner: "w2" })
      expect(lost.status).toBe(409)
      expect(lost.body).toMatchObject({ _tag: "LeaseLost", error: "run lease lost", code: "lease_lost", run: { id: runId } })

      const bad = yield* api.post(`/runs/${runId}/heartbeat`, {})
      expect(bad.status).toBe(400)
      expect(bad.body).toMatchObject({ _tag: "BadRequest", code: "bad_request", issues: [{ path: ["leaseOwner"] }] })
      expect(Object.keys(bad.body).sort()).toEqual(["_tag", "code", "error", "issues"])
      expect(Object.keys(bad.body.issues[0]).sort()).toEqual(["message", "path"])

      const notJson = yield* api.post(`/runs/${runId}/complete`, "{not json")
      expect([notJson.status, notJson.body]).toEqual([
        400,
        { _tag: "BadRequest", error: "request body is not valid JSON", code: "bad_request", issues: [] }
      ])

      yield* api.post(`/runs/${runId}/complete`, { result: 1, leaseOwner: "w1" })
      const completed = yield* api.post(`/runs/${runId}/steps/begin`, { name: "late", inputHash: "h", leaseOwner: "w1" })
      expect(completed.status).toBe(409)
      expect(completed.body).toMatchObject({ _tag: "RunAlreadyCompleted", code: "run_completed", run: { id: runId, status: "completed" } })
    }))
})
