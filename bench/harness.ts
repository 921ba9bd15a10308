import { readFileSync } from "node:fs"
import pg from "pg"
import { createTestDatabase } from "../test/TestDatabase.js"
import { startServerProcess } from "./serverProcess.js"

export { defaultMeasureOptions, measureLatency, measureThroughput } from "./measure.js"
export type { Counters, LatencyBounds, MeasureOptions, Throughput } from "./measure.js"

export interface PostgresInfo {
  /** Where the fresh database lives: embedded, or the host of the configured server. */
  readonly source: string
  readonly version: string
  /** The settings that decide what a commit costs. */
  readonly durability: string
}

export interface BenchEnvironment {
  readonly databaseUrl: string
  readonly serverUrl: string
  readonly serverPid: number
  readonly postgres: PostgresInfo
  readonly stop: () => Promise<void>
}

const hostOf = (url: string) => {
  const u = new URL(url)
  return `${u.hostname}:${u.port || "5432"}`
}

/** `createTestDatabase` only knows TIDEBASE_TEST_DATABASE_URL; a bench user may just have DATABASE_URL. */
const postgresSource = () => {
  const test = process.env.TIDEBASE_TEST_DATABASE_URL
  if (test !== undefined && test !== "") return `TIDEBASE_TEST_DATABASE_URL ${hostOf(test)}, fresh database`
  const configured = process.env.DATABASE_URL
  if (configured !== undefined && configured !== "") {
    process.env.TIDEBASE_TEST_DATABASE_URL = configured
    return `DATABASE_URL ${hostOf(configured)}, fresh database`
  }
  return "embedded (fresh cluster in a temp dir)"
}

const describePostgres = async (url: string, source: string): Promise<PostgresInfo> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const version = await client.query<{ v: string }>("select current_setting('server_version') as v")
    const settings = await client.query<{ name: string; setting: string }>(
      "select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'wal_sync_method') order by name"
    )
    return {
      source,
      version: version.rows[0]!.v,
      durability: settings.rows.map((r) => `${r.name}=${r.setting}`).join(" ")
    }
  } finally {
    await client.end()
  }
}

/**
 * A fresh database and a server process over it (migrated by the server at boot). `stop`
 * ends the server first so its connections are gone before the database is dropped.
 */
export const startBenchEnvironment = async (options: { readonly serverNodeArgs?: ReadonlyArray<string> } = {}): Promise<BenchEnvironment> => {
  const source = postgresSource()
  const database = await createTestDatabase()
  try {
    const postgres = await describePostgres(database.url, source)
    const server = await startServerProcess({
      databaseUrl: database.url,
      nodeArgs: options.serverNodeArgs ?? []
    })
    return {
      databaseUrl: database.url,
      serverUrl: server.url,
      serverPid: server.pid,
      postgres,
      stop: async () => {
        try {
          await server.stop()
        } finally {
          await database.close()
        }
      }
    }
  } catch (error) {
    await database.close()
    throw error
  }
}

/** A process's CPU time (user + system) in ms, from /proc; NaN where there is no /proc. */
export const processCpuMs = (pid: number): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    const ticksPerSecond = 100
    return ((Number(fields[11]) + Number(fields[12])) * 1_000) / ticksPerSecond
  } catch {
    return Number.NaN
  }
}
