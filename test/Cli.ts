import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("..", import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `tidebase <args>` as its own process. `until` (matched against stdout) makes it a
 * server: once the line shows, `beforeStop` may use it, then it is sent `stopSignal` (SIGTERM:
 * it must exit on its own).
 */
export const runCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  until?: RegExp,
  beforeStop: (stdout: string) => Promise<unknown> = async () => {},
  /** How it is stopped: SIGTERM lets it shut down; SIGKILL is a crash. */
  stopSignal: NodeJS.Signals = "SIGTERM"
) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "packages/cli/src/bin.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    let stopping = false
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      if (!stopping && until?.test(stdout)) {
        stopping = true
        beforeStop(stdout).finally(() => child.kill(stopSignal))
      }
    })
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("exit", (code, signal) => {
      clearTimeout(killer)
      resolve({ code, signal, stdout, stderr })
    })
  })
