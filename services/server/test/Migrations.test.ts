import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { SqlClient } from "@effect/sql"
import { Effect, Redacted } from "effect"
import { inject } from "vitest"
import { migrate, MIGRATIONS_DIR, pgClientLayer } from "@tidebase/server"
import { runCli } from "../../../test/Cli.js"
import { createScratchDatabase } from "../../../test/TestDatabase.js"

describe("migrations", () => {
  it("with TIDEBASE_AUTO_MIGRATE=0 a pending migration stops boot naming it; `tidebase migrate` applies it", async () => {
    const db = await createScratchDatabase(inject("databaseUrl"))
    try {
      const env = { DATABASE_URL: db.url, TIDEBASE_AUTO_MIGRATE: "0", PORT: "0" }
      const refused = await runCli(["start"], env, /listening/)
      expect(refused.code).not.toBe(0)
      expect(refused.stdout + refused.stderr).toMatch(/pending migrations: 0001_event_store/)

      const applied = await runCli(["migrate"], env)
      expect(applied.code).toBe(0)
      expect(applied.stdout).toMatch(/applied 1_event_store/)

      const started = await runCli(["start"], env, /listening on http/)
      expect(started.stdout).toMatch(/Tidebase listening on http:\/\/127\.0\.0\.1:\d+/)
      expect(started.code).toBe(0)
    } finally {
      await db.close()
    }
  })

  it.effect("concurrent migrators apply each migration exactly once", () =>
    Effect.gen(function*() {
      const db = yield* Effect.acquireRelease(
        Effect.promise(() => createScratchDatabase(inject("databaseUrl"))),
        (db) => Effect.promise(db.close)
      )
      const oneMigrator = Effect.scoped(Effect.provide(migrate, pgClientLayer(Redacted.make(db.url))))
      const results = yield* Effect.all(Array.from({ length: 5 }, () => Effect.either(oneMigrator)), { concurrency: "unbounded" })
      expect(results.filter((r) => r._tag === "Right")).not.toHaveLength(0)
      const rows = yield* Effect.scoped(Effect.provide(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ migrationId: number }>`select migration_id from tidebase_migrations order by migration_id`),
        pgClientLayer(Redacted.make(db.url))
      ))
      const shipped = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).map((f) => Number(f.split("_")[0])).sort((a, b) => a - b)
      expect(rows.map((r) => r.migrationId)).toEqual(shipped)
    }).pipe(Effect.scoped))
})

describe("the embedded default", () => {
  it("`tidebase start` with no DATABASE_URL serves on an embedded Postgres and stops it on SIGTERM, even with a live event stream open", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "tidebase-embedded-"))
    chmodSync(dataDir, 0o755)
    try {
      const env: Record<string, string> = { TIDEBASE_DATA_DIR: dataDir, PORT: "0", DATABASE_URL: "" }
      const openEventStream = async (stdout: string) => {
        const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!.replace("localhost", "127.0.0.1")
        const { run } = await (await fetch(`${url}/runs/shutdown`, { method: "POST" })).json()
        const stream = await fetch(`${url}/runs/${run.id}/events`)
        void stream.body!.getReader().read()
      }
      const started = await runCli(["start"], env, /listening on http/, openEventStream)
      expect(started.stdout).toMatch(/embedded Postgres running/)
      expect(started.code).toBe(0)
      expect(existsSync(path.join(dataDir, "pg", "PG_VERSION"))).toBe(true)
      const orphans = spawnSync("pgrep", ["-f", dataDir], { encoding: "utf8" }).stdout.trim()
      expect(orphans).toBe("")
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
