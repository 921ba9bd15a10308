import { randomUUID } from "node:crypto"
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import pg from "pg"
import { Effect, Exit, Scope } from "effect"
import { startEmbeddedPostgres } from "@tidebase/server"

export interface TestDatabase {
  readonly url: string
  readonly close: () => Promise<void>
}

const withDatabase = (url: string, database: string) => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

const adminQuery = async (url: string, query: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(query)
  } finally {
    await client.end()
  }
}

/**
 * A database of the suite's own: a fresh database on `TIDEBASE_TEST_DATABASE_URL`'s server,
 * or a fresh embedded Postgres. Either way parallel suite runs never share a table.
 */
export const createTestDatabase = async (): Promise<TestDatabase> => {
  const external = process.env.TIDEBASE_TEST_DATABASE_URL
  if (external !== undefined && external !== "") {
    const name = `tidebase_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`
    await adminQuery(external, `create database ${name}`)
    return {
      url: withDatabase(external, name),
      close: () => adminQuery(external, `drop database if exists ${name} with (force)`)
    }
  }
  const scope = Effect.runSync(Scope.make())
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tidebase-test-"))
  // mkdtemp makes it 0700; as root, Postgres runs as another user and must reach it.
  chmodSync(dataDir, 0o755)
  const url = await Effect.runPromise(
    Scope.extend(startEmbeddedPostgres({ dataDir, persistent: false }), scope)
  )
  return {
    url,
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** An empty database beside the suite's (same server), for tests that need a blank slate. */
export const createScratchDatabase = async (suiteUrl: string): Promise<TestDatabase> => {
  const name = `tidebase_scratch_${randomUUID().replaceAll("-", "").slice(0, 16)}`
  await adminQuery(suiteUrl, `create database ${name}`)
  return {
    url: withDatabase(suiteUrl, name),
    close: () => adminQuery(suiteUrl, `drop database if exists ${name} with (force)`)
  }
}
