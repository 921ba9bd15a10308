import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>
interface WireEvent {
  readonly seq: number
  readonly type: string
  readonly payload: any
}

const step = (api: Api, runId: string, name: string, output: unknown, leaseOwner?: string) =>
  Effect.gen(function*() {
    const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name, inputHash: `h-${name}`, input: { name }, ...(leaseOwner ? { leaseOwner } : {}) })
    expect(begun.body.action).toBe("execute")
    const done = yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, { leaseOwner: begun.body.leaseOwner, output })
    expect(done.status).toBe(200)
  })

const eventsOf = (api: Api, runId: string) =>
  Effect.map(api.get(`/runs/${runId}/events`, { accept: "application/json" }), (r) => r.body.events as Array<WireEvent>)

/** A run with steps, state (two streams and a save), usage, a decided gate, a child, and a step that failed. */
const richRun = (api: Api) =>
  Effect.gen(function*() {
    const runId = (yield* api.post("/runs/replayed", { input: { topic: "tides" }, metadata: { team: "a" } })).body.run.id as string
    yield* api.post(`/runs/${runId}/begin`, { workflowName: "replayed" })
    yield* step(api, runId, "plan", { outline: ["a", "b"] })
    yield* api.put(`/runs/${runId}/state`, { value: { phase: "research", done: 1 } })
    yield* api.patch(`/runs/${runId}/state`, { value: { done: 2 } })
    yield* api.put(`/runs/${runId}/state`, { value: { cursor: 7 }, stream: "scratch" })
    yield* api.post(`/runs/${runId}/state/save`, { label: "after-plan" })
    yield* api.post(`/runs/${runId}/usage`, { kind: "llm", provider: "openai", model: "m", inputTokens: 10, outputTokens: 5, costUsd: 0.1 })
    yield* step(api, runId, "search", [1, 2, 3])
    const gate = (yield* api.post(`/runs/${runId}/gates/begin`, { name: "approve", prompt: "Send?" })).body.gate
    yield* api.post(`/runs/${runId}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "approved", actor: "ana" })
    yield* api.post(`/runs/${runId}/children`, { name: "sub-0", workflowName: "sub", input: { i: 0 } })
    const flaky = yield* api.post(`/runs/${runId}/steps/begin`, { name: "flaky", inputHash: "h-flaky" })
    yield* api.post(`/runs/${runId}/steps/${flaky.body.step.id}/fail`, { leaseOwner: flaky.body.leaseOwner, error: { message: "boom" } })
    yield* api.post(`/runs/${runId}/usage`, { kind: "llm", inputTokens: 1, outputTokens: 1, costUsd: 0.2 })
    yield* step(api, runId, "write", "draft")
    return runId
  })

/** What the test expects at each seq, folded here from the wire events alone (not by the domain's evolve). */
const expectedAt = (events: ReadonlyArray<WireEvent>, seq: number) => {
  const steps: Record<string, string> = {}
  const state: Record<string, unknown> = {}
  const gates: Record<string, string> = {}
  const children: Array<string> = []
  let cost = 0
  let versions = 0
  for (const e of events.slice(0, seq)) {
    if (e.type === "step.started") steps[e.payload.name] = "running"
    if (e.type === "step.completed") steps[e.payload.name] = "completed"
    if (e.type === "step.failed") steps[e.payload.name] = e.payload.status
    if (e.type === "state.updated") state[e.payload.stream] = e.payload.value
    if (e.type.startsWith("state.") || e.type === "snapshot.created") versions++
    if (e.type === "gate.created" || e.type === "gate.resolved") gates[e.payload.gate.name] = e.payload.gate.status
    if (e.type === "usage.recorded") cost += e.payload.usage.costUsd
    if (e.type === "run.child.created") children.push(e.payload.edge.name)
  }
  return { steps, state, gates, children, cost: Math.round(cost * 1e9) / 1e9, versions }
}

const observed = (replay: any) => ({
  steps: Object.fromEntries(replay.steps.map((s: any) => [s.name, s.status])),
  state: Object.fromEntries(replay.stateStreams.map((s: any) => [s.name, s.currentValue])),
  gates: Object.fromEntries(replay.gates.map((g: any) => [g.name, g.status])),
  children: replay.runEdges.map((e: any) => e.name),
  cost: replay.run.usageTotals.costUsd,
  versions: replay.stateVersions.length
})

serverSuite("replay and fork", (it) => {
  it.effect("replay at every seq equals a fold of the events up to it, and at the latest seq equals GET /runs/:id", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = yield* richRun(api)
      const events = yield* eventsOf(api, runId)
      expect(events.length).toBeGreaterThan(15)
      for (const e of events) {
        const replay = (yield* api.get(`/runs/${runId}/replay?seq=${e.seq}`)).body
        expect(replay.seq).toBe(e.seq)
        expect(replay.latestSeq).toBe(events.length)
        expect(replay.event).toMatchObject({ seq: e.seq, type: e.type })
        expect(observed(replay)).toEqual(expectedAt(events, e.seq))
      }
      const latest = (yield* api.get(`/runs/${runId}/replay`)).body
      const live = (yield* api.get(`/runs/${runId}`)).body
      expect(latest.seq).toBe(events.length)
      for (const field of ["run", "steps", "state", "stateStreams", "stateVersions", "usage", "runEdges"]) {
        expect({ field, value: latest[field] }).toEqual({ field, value: live[field] })
      }
      expect(latest.gates).toEqual(live.gates.map(({ resolveToken: _, ...g }: any) => g))
    }))

  it.effect("replay refuses a seq past the log (400 naming seq) and a missing run (404)", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/short", {})).body.run.id as string
      const past = yield* api.get(`/runs/${runId}/replay?seq=5`)
      expect(past.status).toBe(400)
      expect(past.body.issues[0].path).toEqual(["seq"])
      expect((yield* api.get(`/runs/${runId}/replay?seq=0`)).status).toBe(400)
      expect((yield* api.get(`/runs/run_nope/replay`)).body.code).toBe("run_not_found")
    }))

  it.effect("a fork after step 2 of 4 holds steps 1-2 as checkpoints: re-invoked, they return and 3-4 execute; the source is unchanged", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const source = (yield* api.post("/runs/four", { input: { n: 4 } })).body.run.id as string
      yield* api.post(`/runs/${source}/begin`, { workflowName: "four" })
      for (const name of ["s1", "s2", "s3", "s4"]) yield* step(api, source, name, `${name}-out`)
      yield* api.post(`/runs/${source}/complete`, { result: "done" })
      const before = yield* eventsOf(api, source)

      const forked = yield* api.post(`/runs/${source}/fork`, { afterStep: "s2", runId: "fork-of-four" })
      expect(forked.status).toBe(200)
      expect(forked.body.run).toMatchObject({ id: "fork-of-four", status: "pending", workflowName: "four", input: { n: 4 } })
      expect(forked.body.steps.map((s: any) => [s.name, s.status, s.output])).toEqual([["s1", "completed", "s1-out"], ["s2", "completed", "s2-out"]])
      const forkEvents = yield* eventsOf(api, "fork-of-four")
      expect(forkEvents[forkEvents.length - 1]).toMatchObject({ type: "run.forked", payload: { sourceRunId: source, atSeq: forked.body.forkedAtSeq } })

      yield* api.post(`/runs/fork-of-four/begin`, { workflowName: "four" })
      for (const name of ["s1", "s2"]) {
        const again = yield* api.post(`/runs/fork-of-four/steps/begin`, { name, inputHash: `h-${name}` })
        expect(again.body).toMatchObject({ action: "return", output: `${name}-out` })
      }
      for (const name of ["s3", "s4"]) {
        expect((yield* api.post(`/runs/fork-of-four/steps/begin`, { name, inputHash: `h-${name}` })).body.action).toBe("execute")
      }
      expect(yield* eventsOf(api, source)).toEqual(before)
      expect((yield* api.get(`/runs/${source}`)).body.run.status).toBe("completed")
    }))

  it.effect("an edited output in a fork is what a re-invoked step returns, marked edited in the fork's log", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const source = (yield* api.post("/runs/planner", {})).body.run.id as string
      yield* api.post(`/runs/${source}/begin`, { workflowName: "planner" })
      yield* step(api, source, "plan", { steps: ["a"] })
      yield* step(api, source, "act", "acted")
      const forked = yield* api.post(`/runs/${source}/fork`, { afterStep: "plan", stepOutputs: { plan: { steps: ["b", "c"] } } })
      const forkId = forked.body.run.id as string
      const replayed = yield* api.post(`/runs/${forkId}/steps/begin`, { name: "plan", inputHash: "h-plan" })
      expect(replayed.body).toMatchObject({ action: "return", output: { steps: ["b", "c"] } })
      const completed = (yield* eventsOf(api, forkId)).find((e) => e.type === "step.completed")
      expect(completed?.payload).toMatchObject({ name: "plan", edited: true })
      expect((yield* api.get(`/runs/${source}`)).body.steps[0].output).toEqual({ steps: ["a"] })
    }))

  it.effect("a fork at a seq inside an unfinished step takes the prefix before that step; the fork copies state and decided gates with ids of its own", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const source = (yield* api.post("/runs/midway", {})).body.run.id as string
      yield* api.post(`/runs/${source}/begin`, { workflowName: "midway" })
      yield* step(api, source, "one", 1)
      yield* api.put(`/runs/${source}/state`, { value: { at: "one" } })
      const gate = (yield* api.post(`/runs/${source}/gates/begin`, { name: "ok", prompt: "Go?" })).body.gate
      yield* api.post(`/runs/${source}/gates/${gate.id}/resolve`, { token: gate.resolveToken, decision: "approved", actor: "ana" })
      yield* api.post(`/runs/${source}/steps/begin`, { name: "two", inputHash: "h-two" })
      const atSeq = (yield* eventsOf(api, source)).length

      const forked = (yield* api.post(`/runs/${source}/fork`, { atSeq })).body
      expect(forked.forkedAtSeq).toBe(atSeq)
      expect(forked.steps.map((s: any) => s.name)).toEqual(["one"])
      const detail = (yield* api.get(`/runs/${forked.run.id}`)).body
      expect(detail.state.value).toEqual({ at: "one" })
      expect(detail.gates).toHaveLength(1)
      expect(detail.gates[0]).toMatchObject({ name: "ok", status: "approved", actor: "ana", runId: forked.run.id })
      expect(detail.gates[0].id).not.toBe(gate.id)
      expect(detail.steps[0].id).not.toBe((yield* api.get(`/runs/${source}`)).body.steps[0].id)
      const reopened = yield* api.post(`/runs/${forked.run.id}/gates/begin`, { name: "ok", prompt: "Go?" })
      expect(reopened.body).toMatchObject({ action: "return", gate: { decision: "approved" } })
    }))

  it.effect("fork refuses bad points with a 400 naming the field, and a taken run id with 409 run_id_taken, writing nothing", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const source = (yield* api.post("/runs/refusals", {})).body.run.id as string
      yield* api.post(`/runs/${source}/begin`, { workflowName: "refusals" })
      yield* step(api, source, "done", 1)
      const unknownStep = yield* api.post(`/runs/${source}/fork`, { afterStep: "never" })
      expect([unknownStep.status, unknownStep.body.issues[0].path]).toEqual([400, ["afterStep"]])
      const pastLog = yield* api.post(`/runs/${source}/fork`, { atSeq: 999 })
      expect([pastLog.status, pastLog.body.issues[0].path]).toEqual([400, ["atSeq"]])
      const editNotInPrefix = yield* api.post(`/runs/${source}/fork`, { stepOutputs: { later: 1 } })
      expect([editNotInPrefix.status, editNotInPrefix.body.issues[0].path]).toEqual([400, ["stepOutputs", "later"]])
      const taken = yield* api.post(`/runs/${source}/fork`, { runId: source })
      expect([taken.status, taken.body.code]).toEqual([409, "run_id_taken"])
      expect((yield* api.post(`/runs/run_missing/fork`, {})).body.code).toBe("run_not_found")
      const listed = (yield* api.get(`/runs?workflowName=refusals`)).body.runs
      expect(listed).toHaveLength(1)
    }))
})
