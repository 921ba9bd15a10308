import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

const STEPS = 250
/** Past the events a run needs before its rendered detail is held (DetailCache). */
const LONG = 520

type Api = ReturnType<typeof http>

/** A begun run of `workflow` with LONG completed steps, checkpointed one request each. */
const longRun = (api: Api, workflow: string) =>
  Effect.gen(function*() {
    const runId: string = (yield* api.post(`/runs/${workflow}`, {})).body.run.id
    const { leaseOwner } = (yield* api.post(`/runs/${runId}/begin`, {})).body
    for (let i = 0; i < LONG; i++) yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: `s${i}`, inputHash: `h${i}`, output: { i }, leaseOwner })
    return { runId, leaseOwner: leaseOwner as string }
  })

/** Every page of `/runs/:id/<what>` (each rendered on its own, never from the detail's cache), after `seq` by `seq`. */
const allPages = (api: Api, runId: string, what: "steps" | "events") =>
  Effect.gen(function*() {
    const rows: Array<{ readonly seq: number }> = []
    for (;;) {
      const after = rows.at(-1)?.seq ?? 0
      const page = (yield* api.get(`/runs/${runId}/${what}?after=${after}&limit=500`, { accept: "application/json" })).body[what]
      if (page.length === 0) return rows
      rows.push(...page)
    }
  })

serverSuite("large runs", (it) => {
  it.effect("a long run reads complete through GET /runs/:id and page by page through /steps and /events, in the same order", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/large", {})).body.run.id
      const { leaseOwner } = (yield* api.post(`/runs/${runId}/begin`, {})).body
      for (let i = 0; i < STEPS; i++) {
        const recorded = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: `s${i}`, inputHash: `h${i}`, output: { i }, leaseOwner })
        expect(recorded.body.action).toBe("recorded")
      }
      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.steps.map((s: { name: string }) => s.name)).toEqual(Array.from({ length: STEPS }, (_, i) => `s${i}`))
      expect(detail.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 2 + 2 * STEPS }, (_, i) => i + 1))
      expect(detail.steps[7]).toMatchObject({ runId, name: "s7", status: "completed", output: { i: 7 }, inputHash: "h7" })
      expect(detail.steps[7].completedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

      const paged: Array<unknown> = []
      let after = 0
      for (let page = 0; page < 10; page++) {
        const { body, status } = yield* api.get(`/runs/${runId}/steps?after=${after}&limit=100`)
        expect(status).toBe(200)
        paged.push(...body.steps)
        if (body.next === null) break
        after = body.next
      }
      expect(paged).toEqual(detail.steps)

      const events = (yield* api.get(`/runs/${runId}/events?after=5&limit=10`, { accept: "application/json" })).body.events
      expect(events.map((e: { seq: number }) => e.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
      expect(events).toEqual(detail.events.slice(5, 15))

      const { checkpoints } = (yield* api.get(`/runs/${runId}/checkpoints`)).body
      expect(checkpoints).toHaveLength(STEPS)
      expect(checkpoints[STEPS - 1]).toMatchObject({ name: `s${STEPS - 1}`, inputHash: `h${STEPS - 1}`, output: { i: STEPS - 1 } })
    }))

  it.effect("a long run's detail and checkpoints stay exact as the run grows: after each begin, completion, failure and retry, they equal the steps and events rendered afresh", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, leaseOwner } = yield* longRun(api, "long")

      const expectExact = Effect.gen(function*() {
        const detail = (yield* api.get(`/runs/${runId}`)).body
        const steps = yield* allPages(api, runId, "steps")
        expect(detail.steps).toEqual(steps)
        expect(detail.events).toEqual(yield* allPages(api, runId, "events"))
        const { checkpoints } = (yield* api.get(`/runs/${runId}/checkpoints`)).body
        expect(checkpoints).toEqual(steps.flatMap((s: any) =>
          s.status === "completed" ? [{ stepId: s.id, name: s.name, inputHash: s.inputHash, output: s.output, completedAt: s.completedAt }] : []))
        return detail
      })
      yield* expectExact
      yield* expectExact

      const begun = (yield* api.post(`/runs/${runId}/steps/begin`, { name: "tool", inputHash: "ht", leaseOwner })).body
      expect((yield* expectExact).steps.at(-1)).toMatchObject({ name: "tool", status: "running" })
      yield* api.post(`/runs/${runId}/steps/${begun.step.id}/fail`, { leaseOwner, error: { message: "flaky" }, retryable: true })
      expect((yield* expectExact).steps.at(-1)).toMatchObject({ name: "tool", status: "failed_retryable" })
      yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "after", inputHash: "ha", output: 1, leaseOwner })
      const retried = (yield* api.post(`/runs/${runId}/steps/begin`, { name: "tool", inputHash: "ht", leaseOwner })).body
      expect(retried.action).toBe("execute")
      yield* api.post(`/runs/${runId}/steps/${retried.step.id}/complete`, { leaseOwner, output: "done" })
      const detail = yield* expectExact
      expect(detail.steps.slice(-2).map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([["tool", "completed"], ["after", "completed"]])
      expect(detail.steps).toHaveLength(LONG + 2)
    }), { timeout: 120_000 })

  it.effect("a long run's detail read while its steps are being written is one snapshot: its steps agree with its events", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, leaseOwner } = yield* longRun(api, "long-busy")
      const writer = Effect.forEach(Array.from({ length: 60 }, (_, i) => i), (i) =>
        api.post(`/runs/${runId}/steps/checkpoint`, { name: `more${i}`, inputHash: `m${i}`, output: { i }, leaseOwner }), { discard: true })
      const reader = Effect.forEach(Array.from({ length: 8 }, () => 0), () => api.get(`/runs/${runId}`), { concurrency: 1 })
      const [, ...reads] = yield* Effect.all([writer, reader, reader, reader], { concurrency: "unbounded" })
      for (const { body } of reads.flat()) {
        const seqs = body.events.map((e: { seq: number }) => e.seq)
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))
        const completed = body.events.filter((e: { type: string }) => e.type === "step.completed").length
        expect(body.steps.filter((s: { status: string }) => s.status === "completed")).toHaveLength(completed)
        expect(body.steps).toHaveLength(completed)
      }
    }), { timeout: 120_000 })

  it.effect("paging an unknown run is a 404, and a bad page size is a 400 naming the field", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      expect((yield* api.get(`/runs/run_nope/steps`)).status).toBe(404)
      const runId = (yield* api.post("/runs/large", {})).body.run.id
      const bad = yield* api.get(`/runs/${runId}/steps?limit=0`)
      expect(bad.status).toBe(400)
      expect(JSON.stringify(bad.body.issues)).toContain("limit")
      const empty = yield* api.get(`/runs/${runId}/steps`)
      expect(empty.body).toEqual({ steps: [], next: null })
    }))
})
