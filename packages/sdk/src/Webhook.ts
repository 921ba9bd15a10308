import { verifyWebhookSignature } from "./WebhookSignature.js"

export interface WebhookOptions {
  /**
   * Receives each re-invoked run's promise, which settles when the run does (it never rejects:
   * the outcome is on the run). Serverless hosts pass their `waitUntil` here; by default the run
   * continues in the background after the response.
   */
  readonly waitUntil?: (run: Promise<void>) => void
}

/** A recovery (`run.resume`) or push-queue (`run.invoke`) delivery. */
interface Invocation {
  readonly type: "run.resume" | "run.invoke"
  readonly runId: string
  readonly workflowName: string
  /** A push delivery's claim: the run is leased to this owner, so the run is taken under it at once. */
  readonly leaseOwner?: string
}

const reply = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

const parseInvocation = (bytes: Uint8Array): Invocation | "ignored" | undefined => {
  try {
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
    if (payload.type !== "run.resume" && payload.type !== "run.invoke") return "ignored"
    if (typeof payload.runId !== "string" || typeof payload.workflowName !== "string") return undefined
    return {
      type: payload.type,
      runId: payload.runId,
      workflowName: payload.workflowName,
      ...(typeof payload.leaseOwner === "string" ? { leaseOwner: payload.leaseOwner } : {})
    }
  } catch {
    return undefined
  }
}

/**
 * A `(Request) => Promise<Response>` handler: verifies the signature over the raw body when a
 * secret is set, then re-invokes the registered workflow with the delivered run id. The reply is
 * immediate (202); completed steps replay from checkpoints inside the resumed run.
 */
export const makeWebhookHandler = (
  secret: string | undefined,
  resume: (invocation: Invocation) => Promise<void> | undefined,
  options: WebhookOptions
) =>
async (request: Request): Promise<Response> => {
  if (request.method !== "POST") return reply(405, { error: "method not allowed" })
  const body = new Uint8Array(await request.arrayBuffer())
  if (secret !== undefined && !verifyWebhookSignature(body, request.headers.get("x-tidebase-signature"), secret)) {
    return reply(401, { error: "invalid signature" })
  }
  const invocation = parseInvocation(body)
  if (invocation === undefined) return reply(400, { error: "expected a JSON body with type, runId and workflowName" })
  if (invocation === "ignored") return reply(200, { ignored: true })
  const running = resume(invocation)
  if (running === undefined) return reply(404, { error: `no workflow registered as ${invocation.workflowName}` })
  if (options.waitUntil !== undefined) options.waitUntil(running)
  return reply(202, { accepted: true, runId: invocation.runId })
}
