import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option, Redacted, String } from "effect"
import pg from "pg"
import type { ServerConfig } from "../Config.js"
import { startEmbeddedPostgres } from "./EmbeddedPostgres.js"

/** Timestamps leave the database as ISO strings, the form the wire and the domain use. */
const TIMESTAMPTZ_OID = 1184
const INT8_OID = 20

export const pgClientLayer = (url: Redacted.Redacted<string>) =>
  PgClient.layer({
    url,
    maxConnections: 40,
    transformQueryNames: String.camelToSnake,
    transformResultNames: String.snakeToCamel,
    transformJson: false,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(value).toISOString()
        if (oid === INT8_OID) return (value: string) => Number(value)
        return pg.types.getTypeParser(oid, format)
      }) as typeof pg.types.getTypeParser
    }
  })

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
