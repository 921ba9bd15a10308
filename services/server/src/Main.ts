import { HttpServer, HttpServerError } from "@effect/platform"
import { Config, Effect, Layer, Option } from "effect"
import { ServerConfig, StartupError } from "./Config.js"
import { DatabaseLive } from "./Database/Database.js"
import { ensureMigrated } from "./Database/Migrations.js"
import { LoggerLive } from "./Http/Logging.js"
import { HttpServerLive } from "./Server.js"

/** Why `listen` failed, and what to set instead. */
const listenFailure = (config: ServerConfig) => <E>(error: E): E | StartupError => {
  if (!(error instanceof HttpServerError.ServeError)) return error
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code
  const message = code === "EADDRINUSE"
    ? `port ${config.port} is in use; stop the other process or set PORT`
    : code === "EACCES"
    ? `port ${config.port} needs privileges this process lacks; set PORT (above 1023)`
    : code === "EADDRNOTAVAIL" || code === "ENOTFOUND"
    ? `HOST ${config.host} is not an address of this machine; set HOST (e.g. 127.0.0.1 or 0.0.0.0)`
    : `cannot listen on ${config.host}:${config.port} (${code ?? String(error.cause)}); set HOST or PORT`
  return new StartupError({ message, cause: error })
}

/** The address the server really listens on, and whether clients need a key. */
const startLine = (config: ServerConfig) =>
  HttpServer.addressWith((address) => {
    const url = address._tag === "UnixAddress"
      ? `unix:${address.path}`
      : `http://${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${address.port}`
    const auth = Option.isSome(config.apiKey)
    return Effect.logInfo(
      `Tidebase listening on ${url} (auth ${auth ? "on: every route but /health needs the API key" : "off: set TIDEBASE_API_KEY to require a key"})`
    ).pipe(Effect.annotateLogs({ url, auth }))
  })

/** Database (embedded or `DATABASE_URL`), migrations, then the HTTP server: the whole process. */
export const MainLive = Layer.unwrapEffect(
  Effect.map(Config.unwrap(ServerConfig), (config) => {
    const Database = DatabaseLive(config)
    const Migrated = Layer.effectDiscard(ensureMigrated(config.autoMigrate))
    return HttpServerLive(config).pipe(
      Layer.mapError(listenFailure(config)),
      Layer.tap((ctx) => startLine(config).pipe(Effect.provide(ctx))),
      Layer.provide(Layer.provideMerge(Migrated, Database)),
      Layer.provide(LoggerLive(config.logFormat))
    )
  })
)
