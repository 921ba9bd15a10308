import { expect } from "@effect/vitest"
import { DirectTransport, Tidebase as EffectTidebase, Workflow } from "@tidebase/effect"
import { BudgetExceededError, RunCancelledError, TidebaseRequestError } from "@tidebase/sdk"
import { FetchHttpClient } from "@effect/platform"
import { Duration, Effect, Layer } from "effect"
import { undiciClient } from "../src/UndiciClient.js"
import { serverSuite, TestServer } from "../../../test/TestServer.js"
import { newRunId, rejection, throughProxy } from "./Harness.js"

const stepPosts = (log: ReadonlyArray<{ readonly method: string; readonly path: string }>, runId: string) =>
  log.filter((r) => r.method === "POST" && r.path.startsWith(`/runs/${runId}/steps/`)).map((r) => r.path.replace(`/runs/${runId}`, ""))

serverSuite("@tidebase/sdk run and step requests over the direct transport", (it) => {
  it.effect("the SDK's undici client carries a run's begin, checkpoints read, step requests and completion directly, one request each", () =>
    Effect.flatMap(TestServer, ({ url }) => {
      const posted: Array<string> = []
      // The undici client's own DirectTransport, observed: every per-step request must pass through it.
      const observed = Layer.effect(
        DirectTransport,
        Effect.map(DirectTransport, (inner) => ({
          postJson: (origin: string, path: string, headers: Readonly<Record<string, string>>, body: string) => {
            posted.push(`POST ${path}`)
            return inner.postJson(origin, path, headers, body)
          },
          getJson: (origin: string, path: string, headers: Readonly<Record<string, string>>) => {
            posted.push(`GET ${path}`)
            return inner.getJson(origin, path, headers)
          }
        }))
      ).pipe(Layer.provide(undiciClient({ requestTimeout: Duration.seconds(10) })))
      const runId = newRunId("direct")
      return Workflow.run("direct", { runId }, () =>
        Effect.gen(function*() {
          yield* Workflow.step("plan", Effect.succeed("outline"))
          yield* Workflow.step("send", { sideEffects: ["email"], idempotencyKey: "mail-1" }, Effect.succeed("sent"))
          return yield* Workflow.journal
        })).pipe(
          Effect.tap((journal) =>
            Effect.sync(() => {
              expect(journal).toEqual([{ name: "plan", outcome: "executed" }, { name: "send", outcome: "executed" }])
              const calls = posted.map((p) => p.replace(`/runs/${runId}`, "").replace(/\/steps\/(?!begin|checkpoint)[^/]+\//, "/steps/:id/"))
              // The run's begin and its checkpoints read go out together (a read that loses the race with the create is sent again).
              expect(new Set(calls)).toEqual(new Set([
                "POST /begin",
                "GET /checkpoints",
                "POST /steps/checkpoint",
                "POST /steps/begin",
                "POST /steps/:id/complete",
                "POST /complete"
              ]))
              expect(calls.slice(-4)).toEqual(["POST /steps/checkpoint", "POST /steps/begin", "POST /steps/:id/complete", "POST /complete"])
            })),
          Effect.provide(EffectTidebase.layer({ url, httpClient: Layer.merge(FetchHttpClient.layer, observed) }))
        )
    }))

  it.effect("a refusal that comes after a write (over budget) is taken as answered: one request, the checkpoint kept", () =>
    throughProxy(async (tide, proxy, direct) => {
      const runId = newRunId("direct-budget")
      const error = await rejection(() =>
        tide.run("direct-budget", { runId, budget: { maxTotalTokens: 100 } }, async (run) => {
          await run.step("plan", async () => {
            await run.usage.record({ inputTokens: 90, outputTokens: 20 })
            return "plan"
          })
          return run.step("draft", () => "draft")
        }))
      expect(error).toBeInstanceOf(BudgetExceededError)
      expect(stepPosts(proxy.log, runId)).toEqual(["/steps/checkpoint"])
      const detail = await direct.runs.get(runId)
      expect(detail.steps.map((s) => [s.name, s.status])).toEqual([["plan", "completed"]])
    }))

  it.effect("a step of a run cancelled meanwhile is refused from its one answer, and nothing is written for it", () =>
    throughProxy(async (tide, proxy, direct) => {
      const runId = newRunId("direct-cancelled")
      const error = await rejection(() =>
        tide.run("direct-cancelled", { runId }, async (run) => {
          await run.step("first", () => 1)
          await direct.runs.cancel(runId, { reason: "stop" })
          return run.step("second", () => 2)
        }))
      expect(error).toBeInstanceOf(RunCancelledError)
      expect(stepPosts(proxy.log, runId)).toEqual(["/steps/checkpoint", "/steps/checkpoint"])
      const detail = await direct.runs.get(runId)
      expect(detail.steps.map((s) => s.name)).toEqual(["first"])
    }))

  it.effect("a request the server refuses as invalid is explained by the api client, which validates it before sending anything more", () =>
    throughProxy(async (tide, proxy, direct) => {
      const runId = newRunId("direct-invalid")
      const error = await rejection(() => tide.run("direct-invalid", { runId }, (run) => run.step("x".repeat(500), () => 1)))
      expect(error).toBeInstanceOf(TidebaseRequestError)
      expect((error as Error).message).toContain("invalid request")
      expect((error as Error).message).toContain("name")
      expect(stepPosts(proxy.log, runId)).toEqual(["/steps/checkpoint"])
      expect((await direct.runs.get(runId)).steps).toEqual([])
    }))
})
