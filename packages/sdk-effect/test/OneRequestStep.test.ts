import { expect } from "@effect/vitest"
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { StepFailedError, Tidebase, Workflow } from "@tidebase/effect"
import { inputHash } from "@tidebase/domain"
import { Data, Effect, Layer, Schema } from "effect"
import { http, serverSuite, TestServer } from "../../../test/TestServer.js"

/** Every request the SDK sends, as `METHOD /path`, through the HttpClient it is given. */
const sent: Array<string> = []
const CountingHttpClient = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    HttpClient.tapRequest(client, (request) => Effect.sync(() => sent.push(`${request.method} ${request.url.replace(/^https?:\/\/[^/]+/, "")}`))))
).pipe(Layer.provide(FetchHttpClient.layer))

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url, httpClient: CountingHttpClient })))
const newRunId = () => `one-request-${crypto.randomUUID()}`

/** The requests the SDK sent about `runId`, with the run id cut out and heartbeats left out. */
const requestsFor = (runId: string) =>
  sent.filter((r) => r.includes(`/${runId}`) && !r.endsWith("/heartbeat")).map((r) =>
    r.replace(`/runs/${runId}`, "").replace(/\/steps\/(?!begin|checkpoint)[^/]+\//, "/steps/:id/"))

const detail = (runId: string) => Effect.flatMap(Tidebase, (tide) => tide.runs.get(runId))
const eventTypes = (runId: string) => Effect.map(detail(runId), (d) => d.events.map((e) => e.type).filter((t) => t.startsWith("step.")))

class Refused extends Data.TaggedError("Refused")<{}> {}
class Crash extends Data.TaggedError("Crash")<{}> {}

serverSuite("@tidebase/effect one-request steps", (it) => it.layer(TidebaseTest)((it) => {
  it.effect("a step without side effects is checkpointed in one request", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const journal = yield* Workflow.run("one-request", { runId }, () =>
        Effect.gen(function*() {
          yield* Workflow.step("plan", Effect.succeed({ sections: 2 }))
          yield* Workflow.step("fetch", { sideEffects: ["read"], input: { q: "tides" } }, Effect.succeed(["a.md"]))
          return yield* Workflow.journal
        }))
      expect(journal).toEqual([{ name: "plan", outcome: "executed" }, { name: "fetch", outcome: "executed" }])
      expect(requestsFor(runId).filter((r) => r.includes("/steps"))).toEqual([
        "POST /steps/checkpoint",
        "POST /steps/checkpoint"
      ])
      const { steps } = yield* detail(runId)
      expect(steps.map((s) => [s.name, s.status, s.output])).toEqual([
        ["plan", "completed", { sections: 2 }],
        ["fetch", "completed", ["a.md"]]
      ])
      expect(yield* eventTypes(runId)).toEqual(["step.started", "step.completed", "step.started", "step.completed"])
    }))

  it.effect("a step that declares side effects holds the step lease before its body runs", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const runId = newRunId()
      const intruder = (name: string) =>
        http(url).post(`/runs/${runId}/steps/begin`, { name, inputHash: inputHash(null), leaseOwner: "intruder" })
      const seen = yield* Workflow.run("side-effects", { runId }, () =>
        Effect.gen(function*() {
          const sending = yield* Workflow.step("send-email", { sideEffects: ["email"] }, intruder("send-email"))
          const pure = yield* Workflow.step("summarise", Effect.map(detail(runId), (d) => d.steps.map((s) => s.name)))
          return { sending, pure }
        }))
      expect(seen.sending.body).toMatchObject({ action: "locked", step: { name: "send-email", status: "running" } })
      // A step without side effects is not on the server while its body runs.
      expect(seen.pure).toEqual(["send-email"])
      expect(requestsFor(runId).filter((r) => r.includes("/steps"))).toEqual([
        "POST /steps/begin",
        "POST /steps/:id/complete",
        "POST /steps/checkpoint"
      ])
    }))

  it.effect("a step running past announceAfter is visible as running, then completes", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      const whileRunning = yield* Workflow.run("long-step", { runId }, () =>
        Workflow.step(
          "slow",
          { announceAfter: "50 millis" },
          Effect.sleep("400 millis").pipe(Effect.zipRight(detail(runId)), Effect.map((d) => d.steps.map((s) => [s.name, s.status])))
        ))
      expect(whileRunning).toEqual([["slow", "running"]])
      const { steps } = yield* detail(runId)
      expect(steps[0]).toMatchObject({ name: "slow", status: "completed", attempt: 1 })
      expect(requestsFor(runId).filter((r) => r.includes("/steps"))).toEqual(["POST /steps/begin", "POST /steps/:id/complete"])
      expect(yield* eventTypes(runId)).toEqual(["step.started", "step.completed"])
    }))

  it.effect("an existing checkpoint recorded by another invocation wins over the local result", () =>
    Effect.gen(function*() {
      const { url } = yield* TestServer
      const runId = newRunId()
      // A v0.6 client (no lease owner of its own) checkpoints the step while this invocation runs it.
      const otherInvocation = Effect.gen(function*() {
        const begun = yield* http(url).post(`/runs/${runId}/steps/begin`, { name: "stamp", inputHash: inputHash(null) })
        yield* http(url).post(`/runs/${runId}/steps/${begun.body.step.id}/complete`, {
          leaseOwner: begun.body.leaseOwner,
          output: "2020-01-01T00:00:00.000Z"
        })
      })
      const result = yield* Workflow.run("raced", { runId }, () =>
        Effect.gen(function*() {
          const value = yield* Workflow.step(
            "stamp",
            { output: Schema.Date },
            otherInvocation.pipe(Effect.as(new Date("2030-01-01T00:00:00.000Z")))
          )
          return { value, journal: yield* Workflow.journal }
        }))
      expect(result.value).toEqual(new Date("2020-01-01T00:00:00.000Z"))
      expect(result.journal).toEqual([{ name: "stamp", outcome: "replayed" }])
      const { steps } = yield* detail(runId)
      expect(steps[0]).toMatchObject({ status: "completed", output: "2020-01-01T00:00:00.000Z" })
    }))

  it.effect("a failed one-request step is recorded with its resume decision as before", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      let attempts = 0
      const error = yield* Effect.flip(Workflow.run("failing", { runId }, () =>
        Workflow.step("summarise", { retries: 1 }, Effect.suspend(() => (attempts++, Effect.fail(new Refused()))))))
      expect(attempts).toBe(2)
      expect(error).toBeInstanceOf(StepFailedError)
      expect(error).toMatchObject({ step: "summarise", attempt: 2, resumeDecision: "safe_replay" })
      expect(requestsFor(runId).filter((r) => r.includes("/steps"))).toEqual([
        "POST /steps/begin",
        "POST /steps/:id/fail",
        "POST /steps/begin",
        "POST /steps/:id/fail"
      ])
      const failed = yield* detail(runId)
      expect(failed.events.filter((e) => e.type === "step.failed").map((e) => (e.payload as any).resumeDecision)).toEqual([
        "auto_retry",
        "safe_replay"
      ])
      expect(failed.steps[0]).toMatchObject({ status: "failed", resumeDecision: "safe_replay", attempt: 2, error: { tag: "Refused" } })
      expect(failed.run).toMatchObject({ status: "failed", failureClass: "safe_replay" })

      // safe_replay: the resume runs it again, and this time it is checkpointed in one request.
      const resumed = yield* Workflow.run("failing", { runId }, () => Workflow.step("summarise", Effect.succeed("summary")))
      expect(resumed).toBe("summary")
      expect((yield* detail(runId)).steps[0]).toMatchObject({ status: "completed", attempt: 3 })
    }))

  it.effect("resuming a run makes the same requests for 10 checkpointed steps as for 2,000", () =>
    Effect.gen(function*() {
      const resumeRequests = (steps: number) =>
        Effect.gen(function*() {
          const runId = newRunId()
          const workflow = (crash: boolean) =>
            Workflow.run("long-run", { runId }, () =>
              Effect.gen(function*() {
                for (let i = 0; i < steps; i++) yield* Workflow.step(`step-${i}`, Effect.succeed(i))
                if (crash) return yield* new Crash()
                return (yield* Workflow.journal).filter((r) => r.outcome === "replayed").length
              }))
          yield* Effect.flip(workflow(true))
          const before = requestsFor(runId).length
          expect(yield* workflow(false)).toBe(steps)
          return requestsFor(runId).slice(before).sort()
        })
      const small = yield* resumeRequests(10)
      const large = yield* resumeRequests(2_000)
      expect(small).toEqual(["GET /checkpoints", "POST /begin", "POST /complete"])
      expect(large).toEqual(small)
    }), { timeout: 120_000 })
}))
