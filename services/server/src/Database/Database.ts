import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option, Redacted, String } from "effect"
import type { ServerConfig } from "../Config.js"
import { startEmbeddedPostgres } from "./EmbeddedPostgres.js"
import { pgTypes, PgPoolLive } from "./PgPool.js"

/** `@effect/sql` for everything but the command path, which has a `PgPool` of its own. */
export const pgClientLayer = (url: Redacted.Redacted<string>) =>
  Layer.merge(
    PgClient.layer({
      url,
      maxConnections: 20,
      transformQueryNames: String.camelToSnake,
      transformResultNames: String.snakeToCamel,
      transformJson: false,
      types: pgTypes
    }),
    PgPoolLive(url)
  )

/** `DATABASE_URL` when given, otherwise an embedded Postgres under the data dir. */
export const databaseUrl = (config: ServerConfig) =>
  Option.match(config.databaseUrl, {
    onSome: Effect.succeed,
    onNone: () =>
      startEmbeddedPostgres({ dataDir: config.dataDir, persistent: true }).pipe(
        Effect.tap(() => Effect.logInfo(`embedded Postgres running, data in ${config.dataDir}`)),
        Effect.map(Redacted.make)
      )
  })

export const DatabaseLive = (config: ServerConfig) =>
  Layer.unwrapScoped(Effect.map(databaseUrl(config), pgClientLayer))
