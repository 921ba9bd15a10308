import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option, Redacted, String } from "effect"
import { StartupError } from "../Config.js"
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
        Effect.map(Redacted.make),
        Effect.mapError((e) => new StartupError({ message: e.message, cause: e }))
      )
  })

/** The URL as it may be shown: no password. */
const shown = (url: string) => {
  try {
    const u = new URL(url)
    u.password = ""
    return u.toString()
  } catch {
    return "(unparseable URL)"
  }
}

const innermost = (error: unknown): string => {
  let e = error
  while (e instanceof Error && e.cause instanceof Error) e = e.cause
  return e instanceof Error ? e.message : `${e}`
}

export const DatabaseLive = (config: ServerConfig) =>
  Layer.unwrapScoped(Effect.map(databaseUrl(config), pgClientLayer)).pipe(
    Layer.mapError((error) =>
      error instanceof StartupError || Option.isNone(config.databaseUrl)
        ? error
        : new StartupError({
          message: `could not connect to DATABASE_URL ${shown(Redacted.value(config.databaseUrl.value))}: ${innermost(error)}; ` +
            "start that Postgres or fix DATABASE_URL, or unset it to use the embedded one",
          cause: error
        })
    )
  )
