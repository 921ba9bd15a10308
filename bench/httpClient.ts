import http from "node:http"

/** A JSON POST as a v0.6 client sends it; non-2xx answers are errors with the body attached. */
export interface JsonClient {
  readonly name: string
  readonly post: <A>(path: string, body: unknown) => Promise<A>
  /** The body as received, unparsed, so a caller can time the request alone and see its size. */
  readonly getText: (path: string) => Promise<string>
  readonly close: () => void
}

const refused = (method: string, path: string, status: number, text: string) =>
  new Error(`${method} ${path} answered ${status}: ${text.slice(0, 500)}`)

export const nodeHttpClient = (baseUrl: string): JsonClient => {
  const agent = new http.Agent({ keepAlive: true })
  const send = (method: "GET" | "POST", path: string, data?: string) =>
    new Promise<string>((resolve, reject) => {
      const headers = data === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(data) }
      const request = http.request(`${baseUrl}${path}`, { method, agent, headers }, (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("error", reject)
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString()
          const status = response.statusCode ?? 0
          if (status < 200 || status >= 300) reject(refused(method, path, status, text))
          else resolve(text)
        })
      })
      request.on("error", reject)
      request.end(data)
    })
  return {
    name: "node:http, keep-alive Agent",
    post: async <A>(path: string, body: unknown) => JSON.parse(await send("POST", path, JSON.stringify(body))) as A,
    getText: (path) => send("GET", path),
    close: () => agent.destroy()
  }
}

/** Node's global fetch (undici), which keeps connections alive by default. */
export const fetchClient = (baseUrl: string): JsonClient => ({
  name: "global fetch (undici), keep-alive",
  post: async <A>(path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    const text = await response.text()
    if (!response.ok) throw refused("POST", path, response.status, text)
    return JSON.parse(text) as A
  },
  getText: async (path) => {
    const response = await fetch(`${baseUrl}${path}`)
    const text = await response.text()
    if (!response.ok) throw refused("GET", path, response.status, text)
    return text
  },
  close: () => {}
})

/**
 * node:http by default: on a 2-core machine the load generator shares cores with the server
 * and Postgres, and with undici's fetch the measured checkpoint rates here were about half.
 */
export const jsonClient = (baseUrl: string): JsonClient =>
  process.env.BENCH_HTTP_CLIENT === "fetch" ? fetchClient(baseUrl) : nodeHttpClient(baseUrl)
