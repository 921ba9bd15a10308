import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>

const CALLERS = 10

const newParent = (api: Api) => Effect.map(api.post("/runs/research", {}), (r) => r.body.run.id as string)

const events = (api: Api, runId: string) =>
  Effect.map(api.get(`/runs/${runId}/events`, { accept: "application/json" }), (r) => r.body.events as Array<{ type: string; payload: any }>)

serverSuite("child runs", (it) => {
  it.effect("a child is made once per (parent, name): its run.created names the parent, the parent logs run.child.created, GET /runs/:id shows the edge and the child", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const parent = yield* newParent(api)
      const made = yield* api.post(`/runs/${parent}/children`, {
        name: "search-0",
        workflowName: "search",
        input: { q: "tides" },
        edgeMetadata: { shard: 0 }
      })
      expect(made.status).toBe(200)
      expect(made.body).toMatchObject({
        created: true,
        run: { workflowName: "search", input: { q: "tides" }, status: "pending" },
        edge: { parentRunId: parent, name: "search-0", edgeType: "child", metadata: { shard: 0 } }
      })
      const child = made.body.run.id as string
      expect(made.body.edge.childRunId).toBe(child)

      const again = yield* api.post(`/runs/${parent}/children`, { name: "search-0", workflowName: "other", input: { q: "else" } })
      expect(again.body).toEqual({ ...made.body, created: false })

      const detail = (yield* api.get(`/runs/${parent}`)).body
      expect(detail.runEdges).toEqual([made.body.edge])
      expect(detail.childRuns).toEqual([made.body.run])
      const parentEvents = yield* events(api, parent)
      expect(parentEvents.map((e) => e.type)).toEqual(["run.created", "run.child.created"])
      expect(parentEvents[1]!.payload).toMatchObject({ childRun: { id: child, workflowName: "search" }, edge: made.body.edge })
      const childEvents = yield* events(api, child)
      expect(childEvents.map((e) => e.type)).toEqual(["run.created"])
      expect(childEvents[0]!.payload).toMatchObject({ parentRunId: parent, edgeName: "search-0" })
    }))

  it.effect(`${CALLERS} concurrent creates of one edge make one child; every caller gets it`, () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const parent = yield* newParent(api)
      const replies = yield* Effect.all(
        Array.from({ length: CALLERS }, (_, i) => api.post(`/runs/${parent}/children`, { name: "only", workflowName: "w", input: { i } })),
        { concurrency: "unbounded" }
      )
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200))
      expect(new Set(replies.map((r) => r.body.run.id)).size).toBe(1)
      expect(replies.filter((r) => r.body.created)).toHaveLength(1)
      expect((yield* events(api, parent)).filter((e) => e.type === "run.child.created")).toHaveLength(1)
      expect((yield* api.get(`/runs/${parent}`)).body.childRuns).toHaveLength(1)
    }))

  it.effect("concurrent creates of different edges on one parent each make their own child, none lost", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const parent = yield* newParent(api)
      const replies = yield* Effect.all(
        Array.from({ length: CALLERS }, (_, i) => api.post(`/runs/${parent}/children`, { name: `part-${i}`, workflowName: "w" })),
        { concurrency: "unbounded" }
      )
      expect(replies.every((r) => r.status === 200 && r.body.created)).toBe(true)
      const detail = (yield* api.get(`/runs/${parent}`)).body
      expect(detail.runEdges.map((e: { name: string }) => e.name).sort()).toEqual(replies.map((_, i) => `part-${i}`).sort())
      expect(new Set(detail.childRuns.map((r: { id: string }) => r.id)).size).toBe(CALLERS)
    }))

  it.effect("a child run id that is already a run is refused (409 run_id_taken) and the parent gets no edge: the append is all-or-nothing", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const parent = yield* newParent(api)
      const taken = (yield* api.post("/runs/elsewhere", {})).body.run.id
      const refused = yield* api.post(`/runs/${parent}/children`, { name: "x", workflowName: "w", runId: taken })
      expect([refused.status, refused.body.code]).toEqual([409, "run_id_taken"])
      expect((yield* events(api, parent)).map((e) => e.type)).toEqual(["run.created"])
      expect((yield* events(api, taken)).map((e) => e.type)).toEqual(["run.created"])
      const chosen = `child-${crypto.randomUUID()}`
      const made = yield* api.post(`/runs/${parent}/children`, { name: "x", workflowName: "w", runId: chosen })
      expect([made.status, made.body.run.id]).toEqual([200, chosen])
    }))

  it.effect("an unknown parent is a 404, a cancelled one a 409, a request without workflowName a 400 naming it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const missing = yield* api.post("/runs/no-such-parent/children", { name: "x", workflowName: "w" })
      expect([missing.status, missing.body.code]).toEqual([404, "run_not_found"])
      const parent = yield* newParent(api)
      const bad = yield* api.post(`/runs/${parent}/children`, { name: "x" })
      expect([bad.status, bad.body.issues[0].path]).toEqual([400, ["workflowName"]])
      yield* api.post(`/runs/${parent}/cancel`, {})
      const cancelled = yield* api.post(`/runs/${parent}/children`, { name: "x", workflowName: "w" })
      expect([cancelled.status, cancelled.body.code]).toEqual([409, "run_cancelled"])
    }))
})
