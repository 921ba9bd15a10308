import { expect } from "@effect/vitest"
import { signWebhookBody, Tidebase, verifyWebhookSignature } from "@tidebase/sdk"
import { serverSuite } from "../../../test/TestServer.js"
import { Crash, newRunId, rejection, withTide } from "./Harness.js"

const secret = "whsec_test"
const resumeBody = (runId: string, workflowName = "webhook-report") =>
  JSON.stringify({ type: "run.resume", runId, workflowName, reason: "failed", attempt: 1 })

const delivery = (body: string, signature?: string) =>
  new Request("http://app.test/api/tidebase", {
    method: "POST",
    headers: { "content-type": "application/json", ...(signature === undefined ? {} : { "x-tidebase-signature": signature }) },
    body
  })

serverSuite("@tidebase/sdk webhooks", (it) => {
  it.effect("webhook verification rejects unsigned, tampered and wrong-secret bodies and accepts the exact signed bytes", () =>
    withTide(async (_, url) => {
      const body = resumeBody("run_x")
      const signature = signWebhookBody(body, secret)
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/)
      expect(verifyWebhookSignature(body, signature, secret)).toBe(true)
      expect(verifyWebhookSignature(new TextEncoder().encode(body), signature, secret)).toBe(true)
      expect(verifyWebhookSignature(body, undefined, secret)).toBe(false)
      expect(verifyWebhookSignature(body, null, secret)).toBe(false)
      expect(verifyWebhookSignature(body.replace("run_x", "run_y"), signature, secret)).toBe(false)
      expect(verifyWebhookSignature(JSON.stringify(JSON.parse(body), null, 1), signature, secret)).toBe(false)
      expect(verifyWebhookSignature(body, signWebhookBody(body, "other-secret"), secret)).toBe(false)
      expect(verifyWebhookSignature(body, "sha256=deadbeef", secret)).toBe(false)

      const tide = new Tidebase({ url, webhookSecret: secret })
      const handler = tide.webhook()
      try {
        expect((await handler(delivery(body))).status).toBe(401)
        expect((await handler(delivery(body.replace("run_x", "run_y"), signature))).status).toBe(401)
        expect((await handler(delivery(body, signWebhookBody(body, "other-secret")))).status).toBe(401)
        const unknown = await handler(delivery(body, signature))
        expect(unknown.status).toBe(404)
      } finally {
        await tide.close()
      }
    }))

  it.effect("a signed run.resume re-invokes the registered workflow, which resumes from its checkpoints", () =>
    withTide(async (_, url) => {
      const tide = new Tidebase({ url, webhookSecret: secret })
      try {
        const runId = newRunId("webhook")
        const calls: Array<string> = []
        let crash = true
        tide.workflow("webhook-report", async (run, input: { topic: string }) => {
          const plan = await run.step("plan", () => (calls.push("plan"), `plan:${input.topic}`))
          return run.step("write-report", () => {
            calls.push("write-report")
            if (crash) throw new Crash("writer died")
            return `${plan} written`
          })
        })
        await rejection(() => tide.run("webhook-report", { runId, input: { topic: "tides" } }))
        crash = false

        const runs: Array<Promise<void>> = []
        const handler = tide.webhook({ waitUntil: (run) => runs.push(run) })
        const body = resumeBody(runId)
        const response = await handler(delivery(body, signWebhookBody(body, secret)))
        expect(response.status).toBe(202)
        expect(await response.json()).toEqual({ accepted: true, runId })
        await Promise.all(runs)

        expect(calls).toEqual(["plan", "write-report", "write-report"])
        const detail = await tide.runs.get(runId)
        expect(detail.run).toMatchObject({ status: "completed", result: "plan:tides written" })

        const gateEvent = JSON.stringify({ type: "gate.created", runId })
        expect((await handler(delivery(gateEvent, signWebhookBody(gateEvent, secret)))).status).toBe(200)
      } finally {
        await tide.close()
      }
    }))
})
