import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../../..", import.meta.url))
const FIXTURE = fileURLToPath(new URL("./fixtures/crashWorker.ts", import.meta.url))
export const FANOUT_PARENT = fileURLToPath(new URL("./fixtures/fanoutParent.ts", import.meta.url))

export interface Worker {
  readonly child: ChildProcess
  /** Resolves with the first stdout line matching `pattern`. */
  readonly line: (pattern: RegExp) => Promise<string>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }>
}

/** The crash-test worker (fixtures/crashWorker.ts, or another fixture) as its own process, killable like a real one. */
export const startWorker = (env: Record<string, string>, fixture = FIXTURE): Worker => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = []
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = stdout.split("\n").find((line) => waiter.pattern.test(line))
      if (match !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(match)
      }
    }
  }
  child.stdout!.on("data", (chunk) => {
    stdout += chunk
    check()
  })
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      waiters.push({ pattern, resolve })
      check()
      void exited.then(({ stderr, stdout }) => reject(new Error(`worker exited before ${pattern}:\n${stdout}\n${stderr}`)))
    })
  return { child, line, exited }
}

export interface LogEntry {
  readonly kind: "exec" | "ack"
  readonly runId: string
  readonly step: string
}

export const readLog = (path: string): ReadonlyArray<LogEntry> =>
  readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0).map((l) => {
    const [kind, runId, step] = l.split(" ")
    return { kind: kind as LogEntry["kind"], runId: runId!, step: step! }
  })

export const executions = (log: ReadonlyArray<LogEntry>, runId: string, step: string) =>
  log.filter((e) => e.kind === "exec" && e.runId === runId && e.step === step).length

/** Executions that started after the server had acknowledged the same step's checkpoint: must be none. */
export const executionsAfterAck = (log: ReadonlyArray<LogEntry>) => {
  const acked = new Set<string>()
  const violations: Array<LogEntry> = []
  for (const entry of log) {
    const key = `${entry.runId} ${entry.step}`
    if (entry.kind === "ack") acked.add(key)
    else if (acked.has(key)) violations.push(entry)
  }
  return violations
}
