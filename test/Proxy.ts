import * as http from "node:http"
import type { AddressInfo, Socket } from "node:net"

/** What the proxy did with one request. */
export interface Forwarded {
  readonly method: string
  readonly path: string
  readonly outcome: "answered" | "answer lost" | "503"
}

type Match = (method: string, path: string) => boolean

/**
 * A real HTTP proxy in front of the test server that can misbehave on cue: go away and come
 * back on the same port, answer 503 like a gateway whose backend restarts, or forward a request
 * and then drop the connection instead of relaying the answer (the write happened; its reply is lost).
 */
export const startProxy = async (target: string) => {
  const agent = new http.Agent({ keepAlive: true })
  const sockets = new Set<Socket>()
  const losses: Array<{ match: Match; left: number }> = []
  const log: Array<Forwarded> = []
  let unavailable = false

  const server = http.createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const method = req.method ?? "GET"
      const path = req.url ?? "/"
      if (unavailable) {
        log.push({ method, path, outcome: "503" })
        res.writeHead(503, { "content-type": "text/html" })
        res.end("<html><body>503 Service Unavailable</body></html>")
        return
      }
      const loss = losses.find((l) => l.left > 0 && l.match(method, path))
      if (loss !== undefined) loss.left--
      const upstream = http.request(`${target}${path}`, { method, headers: { ...req.headers, host: new URL(target).host }, agent }, (answer) => {
        const parts: Array<Buffer> = []
        answer.on("data", (part: Buffer) => parts.push(part))
        answer.on("end", () => {
          if (loss !== undefined) {
            log.push({ method, path, outcome: "answer lost" })
            req.socket.destroy()
            return
          }
          log.push({ method, path, outcome: "answered" })
          const headers = { ...answer.headers }
          delete headers["transfer-encoding"]
          delete headers.connection
          delete headers["keep-alive"]
          res.writeHead(answer.statusCode ?? 502, headers)
          res.end(Buffer.concat(parts))
        })
      })
      upstream.on("error", () => {
        res.writeHead(502)
        res.end()
      })
      upstream.end(Buffer.concat(chunks))
    })
  })
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  const port = await listen(0)

  return {
    url: `http://127.0.0.1:${port}`,
    log,
    /** Stops listening and drops every open connection, like a server process that exits. */
    down: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
    /** Listens again on the same port. */
    up: () => listen(port).then(() => undefined),
    /** The next `count` requests matching `match` reach the server, but the connection drops before the answer. */
    loseAnswers: (match: Match, count = 1) => {
      losses.push({ match, left: count })
    },
    /** While on, every request is answered 503 without reaching the server. */
    setUnavailable: (on: boolean) => {
      unavailable = on
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        agent.destroy()
        if (!server.listening) return resolve()
        server.close(() => resolve())
      })
  }
}

export type Proxy = Awaited<ReturnType<typeof startProxy>>

/** A plain `node:http` server on a random port; `close` ends it and its connections. */
export const startHttpServer = async (handler: http.RequestListener) => {
  const server = http.createServer(handler)
  const sockets = new Set<Socket>()
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** A port nothing listens on: bound, then released. */
export const closedPort = async () => {
  const server = await startHttpServer(() => {})
  await server.close()
  return Number(new URL(server.url).port)
}
