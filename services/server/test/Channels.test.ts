import { expect, it } from "@effect/vitest"
import { verifyWebhookSignature } from "@tidebase/sdk"
import { Context, Effect, Layer, Option } from "effect"
import { startHttpServer } from "../../../test/Proxy.js"
import { http, TestServer, TestServerLive } from "../../../test/TestServer.js"

interface Received {
  readonly body: any
  readonly raw: string
  readonly signature: string | undefined
}

const receiver = Effect.acquireRelease(
  Effect.promise(async () => {
    const calls: Array<Received> = []
    const server = await startHttpServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8")
        const signature = request.headers["x-tidebase-signature"]
        calls.push({ raw, body: JSON.parse(raw), signature: typeof signature === "string" ? signature : undefined })
        response.writeHead(204)
        response.end()
      })
    })
    return { url: server.url, calls, close: server.close }
  }),
  (r) => Effect.promise(r.close)
)

const serverUrl = Layer.build(TestServerLive({ publicUrl: Option.some("https://tide.example.com") })).pipe(
  Effect.map((context) => Context.get(context, TestServer).url)
)

const until = (done: () => boolean, timeoutMs = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!done() && Date.now() < deadline) yield* Effect.sleep("50 millis")
  })

it.scopedLive("a gate's channel gets gate.created once, with a resolveUrl and resolveToken that resolve the gate, signed with the channel's secret; the token is in no event, and the run lists the gate's channels without the secret", () =>
  Effect.gen(function*() {
    const hook = yield* receiver
    const api = http(yield* serverUrl)
    const runId = (yield* api.post("/runs/refunds", {})).body.run.id
    const begun = (yield* api.post(`/runs/${runId}/gates/begin`, {
      name: "approve-refund",
      prompt: "Refund $40?",
      channels: [{ type: "webhook", url: hook.url, secret: "channel-secret", events: ["gate.created"] }, { type: "slack", channel: "#ops" }]
    })).body
    yield* until(() => hook.calls.length >= 1)
    yield* Effect.sleep("300 millis")
    expect(hook.calls).toHaveLength(1)
    const call = hook.calls[0]!
    expect(call.body).toMatchObject({
      type: "gate.created",
      runId,
      gateId: begun.gate.id,
      payload: {
        gate: { id: begun.gate.id, prompt: "Refund $40?" },
        resolveUrl: `https://tide.example.com/runs/${runId}/gates/${begun.gate.id}/resolve`,
        resolveToken: begun.gate.resolveToken
      }
    })
    expect(call.body.deliveryId).toMatch(/^delivery_/)
    expect(verifyWebhookSignature(call.raw, call.signature, "channel-secret")).toBe(true)

    const resolved = yield* api.post(`/runs/${runId}/gates/${begun.gate.id}/resolve`, { token: call.body.payload.resolveToken, decision: "approved", actor: "ops" })
    expect(resolved.status).toBe(200)
    const detail = (yield* api.get(`/runs/${runId}`)).body
    expect(JSON.stringify(detail.events)).not.toContain(begun.gate.resolveToken)
    expect(detail.channelDeliveries).toMatchObject([{ eventType: "gate.created", status: "delivered", httpStatus: 204, source: "gate" }])
    // Every channel given is listed with where it came from; a channel's secret never leaves the server.
    expect(detail.channels).toEqual([
      { source: "gate", gateId: begun.gate.id, index: 0, channel: { type: "webhook", url: hook.url, events: ["gate.created"] } },
      { source: "gate", gateId: begun.gate.id, index: 1, channel: { type: "slack", channel: "#ops" } }
    ])
  }))

it.scopedLive("a run's channel with an events list gets only those types; one without gets every event of the run", () =>
  Effect.gen(function*() {
    const hook = yield* receiver
    const api = http(yield* serverUrl)
    const everything = `${hook.url}/all`
    const run = (yield* api.post("/runs/watched", { channels: [{ url: everything }, { url: `${hook.url}/ends`, events: ["run.completed", "run.failed"] }] })).body.run
    const { leaseOwner } = (yield* api.post(`/runs/${run.id}/begin`, {})).body
    yield* api.post(`/runs/${run.id}/steps/checkpoint`, { name: "a", inputHash: "h", output: 1, leaseOwner })
    yield* api.post(`/runs/${run.id}/complete`, { result: "ok", leaseOwner })
    yield* until(() => hook.calls.length >= 5)
    yield* Effect.sleep("300 millis")
    const detail = (yield* api.get(`/runs/${run.id}`)).body
    const all = detail.channelDeliveries.filter((d: { url: string }) => d.url === everything).map((d: { eventType: string }) => d.eventType)
    expect([...all].sort()).toEqual(["run.completed", "run.created", "run.started", "step.completed", "step.started"])
    const ends = detail.channelDeliveries.filter((d: { url: string }) => d.url !== everything).map((d: { eventType: string }) => d.eventType)
    expect(ends).toEqual(["run.completed"])
    expect(hook.calls).toHaveLength(6)
    expect(detail.channelDeliveries.every((d: { status: string }) => d.status === "delivered")).toBe(true)
    expect(detail.channels).toEqual([
      { source: "run", gateId: null, index: 0, channel: { url: everything } },
      { source: "run", gateId: null, index: 1, channel: { url: `${hook.url}/ends`, events: ["run.completed", "run.failed"] } }
    ])
  }))
