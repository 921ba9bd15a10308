import { createServer, STATUS_CODES } from "node:http"
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"
import type { LeanHandler } from "./LeanRoutes.js"

/** Requests in flight get this long to finish at shutdown; event streams never finish on their own. */
const SHUTDOWN_GRACE_MS = 2_000

const answer = (status: number, code: string, error: string) => {
  const body = JSON.stringify({ error, code })
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
}

/**
 * The node server under the platform's `NodeHttpServer`, which listens before it attaches
 * its request handler. So:
 * - a request that arrives before the handler is held, and handed to it once attached, never
 *   left unanswered;
 * - a request the lean router recognises is answered by it, the rest by the platform's handler;
 * - a request node cannot even parse is answered `{error, code}` like every other;
 * - `close` drops idle connections at once and the rest after a short grace: an SSE reader
 *   keeps its connection open for good, and shutdown would otherwise hang (and leave the
 *   embedded Postgres behind).
 */
export const createHttpServer = (lean?: LeanHandler) => {
  const server = createServer()
  let held: Array<[IncomingMessage, ServerResponse]> | undefined = []
  const hold: RequestListener = (request, response) => held?.push([request, response])
  server.on("request", hold)
  server.on("newListener", (event, listener: RequestListener) => {
    if (event !== "request" || listener === hold || held === undefined) return
    const waiting = held
    held = undefined
    server.off("request", hold)
    const serve: RequestListener = lean === undefined ? listener : (request, response) => {
      if (!lean(request, response)) listener(request, response)
    }
    setImmediate(() => {
      if (serve !== listener) {
        server.off("request", listener)
        server.on("request", serve)
      }
      for (const [request, response] of waiting) serve(request, response)
    })
  })

  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) return socket.destroy()
    socket.end(
      error.code === "HPE_HEADER_OVERFLOW"
        ? answer(431, "headers_too_large", "request headers are too large")
        : answer(400, "bad_request", `malformed HTTP request (${error.code ?? error.message})`)
    )
  })

  const close = server.close.bind(server)
  server.close = (callback) => {
    close(callback)
    server.closeIdleConnections()
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref()
    return server
  }
  return server
}
