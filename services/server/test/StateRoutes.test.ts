import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { readSse } from "../../../test/Sse.js"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const WRITERS = 20

const newRun = (api: ReturnType<typeof http>, body: object = {}) =>
  Effect.map(api.post("/runs/state-routes", body), (r) => r.body.run.id as string)

serverSuite("run state", (it) => {
  it.effect("20 concurrent PATCHes to one run leave versions 1..20 gap-free and a current value that holds all 20 keys", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      const replies = yield* Effect.all(
        Array.from({ length: WRITERS }, (_, i) => api.patch(`/runs/${runId}/state`, { value: { [`k${i}`]: i } })),
        { concurrency: "unbounded" }
      )
      expect(replies.map((r) => r.status)).toEqual(Array(WRITERS).fill(200))
      expect(replies.map((r) => r.body.state.version).sort((a, b) => a - b)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1))
      const { stateVersions } = (yield* api.get(`/runs/${runId}/state/versions`)).body
      expect(stateVersions.map((v: { version: number }) => v.version)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1))
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.state.version).toBe(WRITERS)
      expect(detail.state.value).toEqual(Object.fromEntries(Array.from({ length: WRITERS }, (_, i) => [`k${i}`, i])))
      // Each version holds the full value the merge made, not only its patch.
      for (const v of stateVersions) expect(Object.keys(v.value)).toHaveLength(v.version)
    }))

  it.effect("PUT replaces and PATCH merges shallowly: a nested object is replaced, not merged", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      yield* api.put(`/runs/${runId}/state`, { value: { status: "planning", progress: { done: 1, total: 4 }, note: "a" } })
      const patched = yield* api.patch(`/runs/${runId}/state`, { value: { progress: { done: 2 } } })
      expect(patched.body.state).toMatchObject({ runId, version: 2, stream: `run:${runId}` })
      expect(patched.body.state.value).toEqual({ status: "planning", progress: { done: 2 }, note: "a" })
      const put = yield* api.put(`/runs/${runId}/state`, { value: { status: "done" } })
      expect(put.body.state.value).toEqual({ status: "done" })
      const versions = (yield* api.get(`/runs/${runId}/state/versions`)).body.stateVersions
      expect(versions.map((v: { patch: unknown }) => v.patch)).toEqual([null, { progress: { done: 2 } }, null])
      expect((yield* api.get(`/runs/${runId}/state`)).body.state.value).toEqual({ status: "done" })
    }))

  it.effect("save labels the current value without changing it, and snapshots list only labeled versions newest first", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      yield* api.put(`/runs/${runId}/state`, { value: { step: 1 } })
      const saved = yield* api.post(`/runs/${runId}/state/save`, { label: "after-plan", reason: "plan done" })
      expect(saved.status).toBe(200)
      expect(saved.body.stateVersion).toMatchObject({ version: 2, value: { step: 1 }, label: "after-plan", importance: "milestone" })
      expect((yield* api.get(`/runs/${runId}/state`)).body.state).toMatchObject({ version: 2, value: { step: 1 } })
      yield* api.patch(`/runs/${runId}/state`, { value: { step: 2 } })
      const snapshot = yield* api.post(`/runs/${runId}/snapshots`, { label: "draft-v1", state: { text: "…" }, target: { type: "doc", id: "d1" } })
      expect(snapshot.body.snapshot).toMatchObject({ stream: "doc:d1", version: 1, label: "draft-v1" })
      const snapshots = (yield* api.get(`/runs/${runId}/snapshots`)).body.snapshots
      expect(snapshots.map((s: { label: string }) => s.label)).toEqual(["draft-v1", "after-plan"])
      const labeled = (yield* api.get(`/runs/${runId}/state/versions?labeled=true&stream=run:${runId}`)).body.stateVersions
      expect(labeled.map((v: { version: number }) => v.version)).toEqual([2])
    }))

  it.effect("state on another stream does not touch the run's state; GET /runs/:id shows every stream", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      yield* api.put(`/runs/${runId}/state`, { value: { own: true } })
      const other = yield* api.put(`/runs/${runId}/state`, { value: { cursor: 7 }, stream: "scratch" })
      expect(other.body.state).toMatchObject({ stream: "scratch", version: 1, value: { cursor: 7 } })
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.state).toMatchObject({ version: 1, value: { own: true } })
      expect(detail.stateStreams.map((s: { name: string; targetType: string; targetId: string }) => [s.name, s.targetType, s.targetId]))
        .toEqual([[`run:${runId}`, "run", runId], ["scratch", "run", runId]])
      expect(detail.stateVersions).toHaveLength(2)
    }))

  it.effect("a state write by a fenced-out owner is refused and changes nothing; a write with no owner is accepted", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      const first = yield* api.post(`/runs/${runId}/begin`, { leaseMs: 100 }, { "x-tidebase-worker": "worker-a" })
      expect(first.body.leaseOwner).toBe("worker-a")
      yield* api.put(`/runs/${runId}/state`, { value: { by: "a" }, leaseOwner: "worker-a", leaseEpoch: 1 })
      yield* Effect.sleep("150 millis")
      yield* api.post(`/runs/${runId}/begin`, {}, { "x-tidebase-worker": "worker-b" })
      const stale = yield* api.patch(`/runs/${runId}/state`, { value: { by: "zombie" }, leaseOwner: "worker-a", leaseEpoch: 1 })
      expect(stale.status).toBe(409)
      expect(stale.body.code).toBe("lease_lost")
      expect((yield* api.get(`/runs/${runId}/state`)).body.state).toMatchObject({ version: 1, value: { by: "a" } })
      const ui = yield* api.patch(`/runs/${runId}/state`, { value: { by: "ui" } })
      expect(ui.status).toBe(200)
      expect(ui.body.state.version).toBe(2)
    }))

  it.effect("an SSE reader sees state.updated for every write in order, with the version it made", () =>
    Effect.gen(function*() {
      const url = (yield* TestServer).url
      const api = http(url)
      const runId = yield* newRun(api)
      const reader = yield* Effect.fork(readSse(`${url}/runs/${runId}/events?after=1`, 5))
      yield* Effect.sleep("200 millis")
      for (let i = 1; i <= 5; i++) yield* api.patch(`/runs/${runId}/state`, { value: { progress: i / 5 } })
      const messages = yield* reader
      expect(messages.map((m) => m.data.type)).toEqual(Array(5).fill("state.updated"))
      expect(messages.map((m) => m.data.payload.stateVersion.version)).toEqual([1, 2, 3, 4, 5])
      expect(messages.map((m) => m.data.payload.value.progress)).toEqual([0.2, 0.4, 0.6, 0.8, 1])
    }))

  it.effect("bad state writes are 4xx naming the field, and store nothing", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* newRun(api)
      const noValue = yield* api.put(`/runs/${runId}/state`, { label: "x" })
      expect(noValue.status).toBe(400)
      expect(noValue.body.issues.map((i: { path: Array<string> }) => i.path)).toEqual([["value"]])
      const notObject = yield* api.patch(`/runs/${runId}/state`, { value: [1, 2] })
      expect(notObject.status).toBe(400)
      expect(notObject.body.error).toContain("value")
      const noState = yield* api.post(`/runs/${runId}/state/save`, { label: "nothing-yet" })
      expect(noState.status).toBe(404)
      expect(noState.body.code).toBe("state_not_found")
      expect((yield* api.put(`/runs/run_missing/state`, { value: 1 })).body.code).toBe("run_not_found")
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect([detail.state, detail.stateVersions]).toEqual([null, []])
      expect(detail.events.map((e: { type: string }) => e.type)).toEqual(["run.created"])
    }))
})
