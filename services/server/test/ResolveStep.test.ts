import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { runCli } from "../../../test/Cli.js"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

type Api = ReturnType<typeof http>

const begin = (api: Api, runId: string, worker: string) =>
  Effect.map(api.post(`/runs/${runId}/begin`, {}, { "x-tidebase-worker": worker }), (r) => ({
    leaseOwner: r.body.leaseOwner as string,
    leaseEpoch: r.body.run.attempt as number
  }))

/** A run whose unkeyed external write failed for good: the step is parked in manual_review. */
const parkedStep = (api: Api, name = "send-email") =>
  Effect.gen(function*() {
    const runId = (yield* api.post("/runs/resolving", { input: { to: "a@example.com" } })).body.run.id as string
    const fence = yield* begin(api, runId, "worker-a")
    const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name, inputHash: "h", options: { sideEffects: ["write"] }, ...fence })
    expect(begun.body.action).toBe("execute")
    const failed = yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/fail`, {
      leaseOwner: begun.body.leaseOwner,
      error: { message: "smtp timeout after send?" }
    })
    expect(failed.body.step).toMatchObject({ status: "manual_review", resolution: null })
    yield* api.post(`/runs/${runId}/fail`, { error: { message: "parked" }, failureClass: "manual_review", ...fence })
    return { runId, stepId: begun.body.step.id as string }
  })

const resolve = (api: Api, runId: string, stepId: string, body: unknown) =>
  api.post(`/runs/${runId}/steps/${stepId}/resolve`, body)

const eventTypes = (api: Api, runId: string) =>
  Effect.map(api.get(`/runs/${runId}`), (r) => r.body.events.map((e: { type: string }) => e.type) as Array<string>)

serverSuite("a human resolves a parked step", (it) => {
  it.effect("retry: the next invocation executes the step again at attempt + 1, and it records as usual", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      const reply = yield* resolve(api, runId, stepId, { action: "retry", actor: "alice", reason: "checked the outbox: not sent" })
      expect(reply.status).toBe(200)
      expect(reply.body.step).toMatchObject({
        status: "failed_retryable",
        resolution: "retry",
        resolvedBy: "alice",
        resolutionReason: "checked the outbox: not sent"
      })
      expect(reply.body.run).toMatchObject({ id: runId, status: "failed", input: { to: "a@example.com" } })

      const fence = yield* begin(api, runId, "worker-b")
      const again = yield* api.post(`/runs/${runId}/steps/begin`, { name: "send-email", inputHash: "h", options: { sideEffects: ["write"] }, ...fence })
      expect(again.body).toMatchObject({ action: "execute", step: { id: stepId, attempt: 2, status: "running" } })
      const done = yield* api.post(`/runs/${runId}/steps/${stepId}/complete`, { leaseOwner: again.body.leaseOwner, output: "sent" })
      expect(done.body.step).toMatchObject({ status: "completed", output: "sent", resolution: "retry", resolvedBy: "alice" })

      const events = (yield* api.get(`/runs/${runId}`)).body.events
      const resolved = events.find((e: { type: string }) => e.type === "step.resolved")
      expect(resolved.payload).toEqual({
        stepId,
        name: "send-email",
        action: "retry",
        actor: "alice",
        reason: "checked the outbox: not sent",
        at: expect.any(String)
      })
    }))

  it.effect("retry also lets the run lease holder record the step in one request (steps/checkpoint)", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      expect((yield* resolve(api, runId, stepId, { action: "retry", actor: "alice" })).status).toBe(200)
      const fence = yield* begin(api, runId, "worker-b")
      const recorded = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "send-email", inputHash: "h", output: "sent", ...fence })
      expect(recorded.body).toMatchObject({ action: "recorded", step: { id: stepId, attempt: 2, status: "completed", output: "sent" } })
    }))

  it.effect("complete: the given output becomes the checkpoint, marked as a person's, and a re-invoked run replays it", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      const reply = yield* resolve(api, runId, stepId, { action: "complete", output: { messageId: "m-1" }, actor: "bob" })
      expect(reply.status).toBe(200)
      expect(reply.body.step).toMatchObject({
        status: "completed",
        output: { messageId: "m-1" },
        resolution: "complete",
        resolvedBy: "bob",
        resolutionReason: null
      })
      expect(reply.body.step.resolvedAt).toEqual(reply.body.step.completedAt)

      const detail = (yield* api.get(`/runs/${runId}`)).body
      expect(detail.steps[0]).toMatchObject({ status: "completed", resolution: "complete", resolvedBy: "bob" })
      const { checkpoints } = (yield* api.get(`/runs/${runId}/checkpoints`)).body
      expect(checkpoints).toEqual([
        { stepId, name: "send-email", inputHash: "h", output: { messageId: "m-1" }, completedAt: expect.any(String), resolvedBy: "bob" }
      ])

      const fence = yield* begin(api, runId, "worker-b")
      const replay = yield* api.post(`/runs/${runId}/steps/begin`, { name: "send-email", inputHash: "h", ...fence })
      expect(replay.body).toMatchObject({ action: "return", output: { messageId: "m-1" } })
      const finished = yield* api.post(`/runs/${runId}/complete`, { result: "done", ...fence })
      expect(finished.body.run.status).toBe("completed")
      expect((yield* eventTypes(api, runId)).slice(-3)).toEqual(["step.resolved", "run.started", "run.completed"])
    }))

  it.effect("fail: the run fails for good with failureClass manual_fail; a later begin gets no lease and no worker can pass the step", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      const reply = yield* resolve(api, runId, stepId, { action: "fail", actor: "carol", reason: "customer cancelled" })
      expect(reply.status).toBe(200)
      expect(reply.body.step).toMatchObject({ status: "failed", resumeDecision: "fail_hard", resolution: "fail", resolvedBy: "carol" })
      expect(reply.body.run).toMatchObject({
        status: "failed",
        failureClass: "manual_fail",
        error: { step: "send-email", actor: "carol", reason: "customer cancelled" }
      })
      expect((yield* eventTypes(api, runId)).slice(-2)).toEqual(["step.resolved", "run.failed"])

      // Unlike other failed runs (which v0.6 lets begin lease again), this one is handed back as it is.
      const begun = yield* api.post(`/runs/${runId}/begin`, {}, { "x-tidebase-worker": "worker-b" })
      expect(begun.body).toMatchObject({ leaseOwner: null, run: { status: "failed", failureClass: "manual_fail", leaseOwner: null } })
      const fence = { leaseOwner: "worker-b" }
      const locked = yield* api.post(`/runs/${runId}/steps/begin`, { name: "send-email", inputHash: "h", ...fence })
      expect(locked.body).toMatchObject({ action: "locked", step: { status: "failed", resumeDecision: "fail_hard" } })
      const record = yield* api.post(`/runs/${runId}/steps/checkpoint`, { name: "send-email", inputHash: "h", output: "x", ...fence })
      expect(record.body.action).toBe("locked")
    }))

  it.effect("a failed_retryable step can be resolved too; a step is resolved once per failure", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const runId = (yield* api.post("/runs/resolving", {})).body.run.id
      const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name: "flaky", inputHash: "h" })
      yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/fail`, { leaseOwner: begun.body.leaseOwner, retryable: true })
      const first = yield* resolve(api, runId, begun.body.step.id, { action: "retry", actor: "alice" })
      expect(first.body.step).toMatchObject({ status: "failed_retryable", resolution: "retry" })
      const second = yield* resolve(api, runId, begun.body.step.id, { action: "complete", output: 1, actor: "bob" })
      expect(second.status).toBe(409)
      expect(second.body).toMatchObject({ code: "step_not_resolvable", step: { resolution: "retry", resolvedBy: "alice" } })
      expect(second.body.error).toContain("already resolved")

      // A new failure awaits a new decision.
      const rerun = yield* api.post(`/runs/${runId}/steps/begin`, { name: "flaky", inputHash: "h" })
      yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/fail`, { leaseOwner: rerun.body.leaseOwner, retryable: true })
      const third = yield* resolve(api, runId, begun.body.step.id, { action: "complete", output: 1, actor: "bob" })
      expect(third.body.step).toMatchObject({ status: "completed", output: 1, resolution: "complete", resolvedBy: "bob" })
    }))

  it.effect("refusals: unknown run 404, unknown step 409 step_not_found, a running or completed step 409 step_not_resolvable", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const missing = yield* resolve(api, "run_nope", "step_nope", { action: "retry", actor: "alice" })
      expect(missing.status).toBe(404)
      expect(missing.body.code).toBe("run_not_found")

      const runId = (yield* api.post("/runs/resolving", {})).body.run.id
      const unknownStep = yield* resolve(api, runId, "step_nope", { action: "retry", actor: "alice" })
      expect(unknownStep.status).toBe(409)
      expect(unknownStep.body.code).toBe("step_not_found")

      const begun = yield* api.post(`/runs/${runId}/steps/begin`, { name: "s", inputHash: "h" })
      const running = yield* resolve(api, runId, begun.body.step.id, { action: "complete", output: 1, actor: "alice" })
      expect(running.status).toBe(409)
      expect(running.body).toMatchObject({ code: "step_not_resolvable", step: { status: "running" } })
      expect(running.body.error).toContain("manual_review")

      yield* api.post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, { leaseOwner: begun.body.leaseOwner, output: "real" })
      const completed = yield* resolve(api, runId, begun.body.step.id, { action: "complete", output: "forged", actor: "alice" })
      expect(completed.status).toBe(409)
      expect(completed.body.code).toBe("step_not_resolvable")
      expect((yield* api.get(`/runs/${runId}`)).body.steps[0].output).toBe("real")
    }))

  it.effect("a completed run is never reopened: resolving its parked step is 409 run_completed and appends nothing", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      yield* api.post(`/runs/${runId}/complete`, { result: "given up" })
      const before = yield* eventTypes(api, runId)
      for (const action of ["retry", "complete", "fail"]) {
        const reply = yield* resolve(api, runId, stepId, { action, output: 1, actor: "alice" })
        expect(reply.status).toBe(409)
        expect(reply.body).toMatchObject({ code: "run_completed", run: { status: "completed" } })
      }
      expect(yield* eventTypes(api, runId)).toEqual(before)
    }))

  it.effect("a bad body is a 400 naming the field", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      const cases: Array<[unknown, string]> = [
        [{ action: "maybe", actor: "alice" }, "action"],
        [{ action: "retry" }, "actor"],
        [{ action: "retry", actor: "" }, "actor"],
        [{ action: "retry", actor: "alice", reason: 42 }, "reason"]
      ]
      for (const [body, field] of cases) {
        const reply = yield* resolve(api, runId, stepId, body)
        expect(reply.status).toBe(400)
        expect(reply.body.code).toBe("bad_request")
        expect(JSON.stringify(reply.body.issues)).toContain(field)
      }
      expect((yield* api.get(`/runs/${runId}`)).body.steps[0].status).toBe("manual_review")
    }))

  it.effect("resolving needs no lease: it is accepted while a worker holds the run lease", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      yield* begin(api, runId, "worker-b")
      const reply = yield* resolve(api, runId, stepId, { action: "complete", output: "by hand", actor: "alice" })
      expect(reply.status).toBe(200)
      expect(reply.body.run).toMatchObject({ status: "running", leaseOwner: "worker-b" })
    }))

  it.effect("`tidebase resolve` records the decision over HTTP (exit 0); a refusal exits 1 naming why", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const api = http(url)
      const { runId, stepId } = yield* parkedStep(api)
      const env = { TIDEBASE_URL: url }
      const cli = (args: ReadonlyArray<string>) => Effect.promise(() => runCli(["resolve", ...args], env))
      const done = yield* cli([runId, stepId, "--action", "complete", "--output", '{"messageId":"m-9"}', "--actor", "ops", "--reason", "seen in the log"])
      expect(done).toMatchObject({ code: 0 })
      expect(done.stdout).toContain("step is completed")
      expect((yield* api.get(`/runs/${runId}`)).body.steps[0]).toMatchObject({
        output: { messageId: "m-9" },
        resolution: "complete",
        resolvedBy: "ops",
        resolutionReason: "seen in the log"
      })
      const refused = yield* cli([runId, stepId, "--action=fail", "--actor=ops"])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("already resolved")
    }))

  it.effect("10 concurrent resolves of one step: exactly one wins (200), the others get 409 step_not_resolvable", () =>
    Effect.gen(function*() {
      const api = http((yield* TestServer).url)
      const { runId, stepId } = yield* parkedStep(api)
      const actions = ["retry", "complete", "fail"] as const
      const replies = yield* Effect.all(
        Array.from({ length: 10 }, (_, i) =>
          resolve(api, runId, stepId, { action: actions[i % 3], output: i, actor: `person-${i}` })),
        { concurrency: 10 }
      )
      const winners = replies.filter((r) => r.status === 200)
      expect(winners).toHaveLength(1)
      for (const r of replies.filter((r) => r.status !== 200)) {
        expect(r.status).toBe(409)
        expect(r.body.code).toBe("step_not_resolvable")
        expect(r.body.step.resolvedBy).toBe(winners[0]!.body.step.resolvedBy)
      }
      const events = (yield* api.get(`/runs/${runId}`)).body.events
      expect(events.filter((e: { type: string }) => e.type === "step.resolved")).toHaveLength(1)
      expect(events.map((e: { seq: number }) => e.seq)).toEqual(events.map((_: unknown, i: number) => i + 1))
    }))
})
