import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { createServer } from "node:net"
import path from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Last resort: however this process ends, no child of the bench outlives it. */
const children = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL")
})

export const trackChild = (child: ChildProcess) => {
  children.add(child)
  child.once("exit", () => children.delete(child))
  return child
}

export interface ServerProcess {
  readonly url: string
  readonly pid: number
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  readonly stop: (graceMs?: number) => Promise<void>
}

export const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

export const waitForExit = (child: ChildProcess, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (exited(child)) return resolve(true)
    const timer = setTimeout(() => resolve(false), ms)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve(true)
    })
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const waitForHealth = async (url: string, child: ChildProcess, output: () => string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`server exited (code ${child.exitCode}, signal ${child.signalCode}) before /health answered:\n${output()}`)
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  throw new Error(`server did not answer /health within ${timeoutMs} ms:\n${output()}`)
}

/**
 * The CLI's `start` in a child process, so the server has an event loop (and a core) of its
 * own instead of sharing one with the load generator. `nodeArgs` can add e.g. `--cpu-prof`.
 */
export const startServerProcess = async (options: {
  readonly databaseUrl: string
  readonly nodeArgs?: ReadonlyArray<string>
  readonly env?: Record<string, string>
}): Promise<ServerProcess> => {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = trackChild(spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), "--import", "tsx", "packages/cli/src/bin.ts", "start"],
    {
      cwd: repoRoot,
      env: { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, PORT: String(port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"]
    }
  ))
  let tail = ""
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8_000)
  }
  child.stdout!.on("data", keep)
  child.stderr!.on("data", keep)

  const stop = async (graceMs = 10_000) => {
    if (exited(child)) return
    child.kill("SIGTERM")
    if (!(await waitForExit(child, graceMs))) {
      child.kill("SIGKILL")
      await waitForExit(child, 5_000)
    }
  }
  try {
    await waitForHealth(url, child, () => tail, 90_000)
  } catch (error) {
    await stop(2_000)
    throw error
  }
  return { url, pid: child.pid!, stop }
}
