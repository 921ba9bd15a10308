import { Config, Data, Option, Redacted } from "effect"

/** The server cannot start; the message names the cause and what to change. */
export class StartupError extends Data.TaggedError("StartupError")<{ readonly message: string; readonly cause?: unknown }> {}

const nonEmpty = <A>(config: Config.Config<A>, value: (a: A) => string) =>
  Config.option(config).pipe(Config.map(Option.filter((a) => value(a) !== "")))

const Settings = Config.all({
  port: Config.integer("PORT").pipe(Config.withDefault(7373)),
  host: nonEmpty(Config.string("HOST"), (h) => h),
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")).pipe(
    Config.map(Option.filter((url) => Redacted.value(url) !== ""))
  ),
  dataDir: Config.string("TIDEBASE_DATA_DIR").pipe(Config.withDefault(".tidebase")),
  apiKey: nonEmpty(Config.redacted("TIDEBASE_API_KEY"), Redacted.value),
  autoMigrate: Config.string("TIDEBASE_AUTO_MIGRATE").pipe(
    Config.map((v) => v !== "0" && v.toLowerCase() !== "false"),
    Config.withDefault(true)
  ),
  // TIDEBASE_LEASE_MS is the v0.6 server's name for the run lease.
  runLeaseMs: Config.integer("TIDEBASE_RUN_LEASE_MS").pipe(
    Config.orElse(() => Config.integer("TIDEBASE_LEASE_MS")),
    Config.withDefault(15_000)
  ),
  stepLeaseMs: Config.integer("TIDEBASE_STEP_LEASE_MS").pipe(Config.withDefault(5 * 60_000)),
  logFormat: Config.literal("text", "json")("TIDEBASE_LOG").pipe(Config.withDefault("text" as const)),
  accessLog: Config.boolean("TIDEBASE_ACCESS_LOG").pipe(Config.withDefault(true)),
  reconcileMs: Config.integer("TIDEBASE_RECONCILE_MS").pipe(Config.withDefault(1_000)),
  // A failed queue run waits this long before its second try, doubling per try (capped at 5 min).
  queueBackoffMs: Config.integer("TIDEBASE_QUEUE_BACKOFF_MS").pipe(Config.withDefault(5_000)),
  publicUrl: nonEmpty(Config.string("TIDEBASE_PUBLIC_URL"), (u) => u),
  webhookSecret: nonEmpty(Config.redacted("TIDEBASE_WEBHOOK_SECRET"), Redacted.value),
  webhookTimeoutMs: Config.integer("TIDEBASE_WEBHOOK_TIMEOUT_MS").pipe(Config.withDefault(10_000)),
  webhookRetryMs: Config.integer("TIDEBASE_WEBHOOK_RETRY_MS").pipe(Config.withDefault(1_000)),
  webhookMaxTries: Config.integer("TIDEBASE_WEBHOOK_MAX_TRIES").pipe(Config.withDefault(8)),
  webhookDenyPrivate: Config.boolean("TIDEBASE_WEBHOOK_DENY_PRIVATE").pipe(Config.withDefault(false)),
  // Off: this process sends no webhooks (another replica does); the calls wait in the outbox.
  dispatch: Config.boolean("TIDEBASE_DISPATCH").pipe(Config.withDefault(true)),
  // Off: the checkpoint routes go through the HttpApi router too (the answers are the same; a test compares them).
  leanRoutes: Config.boolean("TIDEBASE_LEAN_ROUTES").pipe(Config.withDefault(true))
})

/**
 * HOST defaults to loopback: the server is reachable from other machines only when told
 * where to listen, or when it asks every client for a key.
 */
export const ServerConfig = Config.map(Settings, ({ host, ...settings }) => ({
  ...settings,
  host: Option.getOrElse(host, () => Option.isSome(settings.apiKey) ? "0.0.0.0" : "127.0.0.1")
}))
export type ServerConfig = Config.Config.Success<typeof ServerConfig>

export const apiKeyValue = (config: ServerConfig) => Option.map(config.apiKey, Redacted.value)
