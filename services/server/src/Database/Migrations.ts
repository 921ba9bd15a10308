import { NodeContext } from "@effect/platform-node"
import { Migrator, SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient, PgMigrator } from "@effect/sql-pg"
import { Data, Effect } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url))
const MIGRATIONS_TABLE = "tidebase_migrations"

export class PendingMigrations extends Data.TaggedError("PendingMigrations")<{
  readonly names: ReadonlyArray<string>
}> {
  override get message() {
    return `pending migrations: ${this.names.join(", ")}. Run \`npm run tidebase -- migrate\` (or unset TIDEBASE_AUTO_MIGRATE=0) to apply them.`
  }
}

interface SqlMigration {
  readonly id: number
  readonly name: string
  readonly file: string
}

const sqlMigrations = (): ReadonlyArray<SqlMigration> =>
  readdirSync(MIGRATIONS_DIR)
    .map((file) => /^(\d+)_(.+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ id: Number(m[1]), name: m[2]!, file: `${MIGRATIONS_DIR}/${m[0]}` }))
    .sort((a, b) => a.id - b.id)

const loader: Migrator.Loader = Effect.sync(() =>
  sqlMigrations().map(
    (m): Migrator.ResolvedMigration => [
      m.id,
      m.name,
      Effect.succeed(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(readFileSync(m.file, "utf8"))))
    ]
  )
)

/** Applies every pending migration once, under the migrator's lock; safe from many processes at once. */
export const migrate = PgMigrator.run({ loader, table: MIGRATIONS_TABLE }).pipe(Effect.provide(NodeContext.layer))

export const pendingMigrations = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [table] = yield* sql<{ exists: boolean }>`select to_regclass(${MIGRATIONS_TABLE}) is not null as exists`
  const applied = table?.exists
    ? new Set((yield* sql<{ migrationId: number }>`select migration_id from ${sql(MIGRATIONS_TABLE)}`).map((r) => r.migrationId))
    : new Set<number>()
  return sqlMigrations().filter((m) => !applied.has(m.id)).map((m) => `${String(m.id).padStart(4, "0")}_${m.name}`)
})

export const ensureMigrated = (autoMigrate: boolean): Effect.Effect<
  void,
  SqlError | Migrator.MigrationError | PendingMigrations,
  SqlClient.SqlClient | PgClient.PgClient
> =>
  autoMigrate
    ? Effect.flatMap(migrate, (applied) =>
      applied.length === 0 ? Effect.void : Effect.logInfo(`applied ${applied.length} migration(s): ${applied.map(([id, name]) => `${id}_${name}`).join(", ")}`))
    : Effect.flatMap(pendingMigrations, (names) => names.length === 0 ? Effect.void : Effect.fail(new PendingMigrations({ names })))
