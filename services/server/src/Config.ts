import { Config, Option, Redacted } from "effect"

export const ServerConfig = Config.all({
  port: Config.integer("PORT").pipe(Config.withDefault(7373)),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")).pipe(
    Config.map(Option.filter((url) => Redacted.value(url) !== ""))
  ),
  dataDir: Config.string("TIDEBASE_DATA_DIR").pipe(Config.withDefault(".tidebase")),
  apiKey: Config.option(Config.redacted("TIDEBASE_API_KEY")),
  autoMigrate: Config.string("TIDEBASE_AUTO_MIGRATE").pipe(
    Config.map((v) => v !== "0" && v.toLowerCase() !== "false"),
    Config.withDefault(true)
  ),
  // TIDEBASE_LEASE_MS is the v0.6 server's name for the run lease.
  runLeaseMs: Config.integer("TIDEBASE_RUN_LEASE_MS").pipe(
    Config.orElse(() => Config.integer("TIDEBASE_LEASE_MS")),
    Config.withDefault(30_000)
  ),
  stepLeaseMs: Config.integer("TIDEBASE_STEP_LEASE_MS").pipe(Config.withDefault(5 * 60_000))
})
export type ServerConfig = Config.Config.Success<typeof ServerConfig>

export const apiKeyValue = (config: ServerConfig) => Option.map(config.apiKey, Redacted.value)
