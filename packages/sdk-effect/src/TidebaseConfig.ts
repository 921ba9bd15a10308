import { Config, Duration, Option } from "effect"
import type { Redacted } from "effect"
import { DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TRANSPORT_FOR } from "./Transport.js"

export interface TidebaseConfig {
  readonly url: string
  readonly apiKey: Option.Option<Redacted.Redacted>
  /** The worker's stable lease owner name (see `RunOptions.workerId`). */
  readonly workerId: Option.Option<string>
  /** How long a request that failed to connect or got a 502/503/504 is retried (default 30 s). */
  readonly retryTransportFor?: Duration.Duration
  /** How long a request may wait for its answer to begin (default 60 s), with the default `fetch` client. */
  readonly requestTimeout?: Duration.Duration
}

const millis = (name: string, fallback: Duration.Duration) =>
  Config.integer(name).pipe(Config.map(Duration.millis), Config.withDefault(fallback))

/**
 * `TIDEBASE_URL` (default the local server), the opt-in `TIDEBASE_API_KEY`, `TIDEBASE_WORKER_ID`,
 * and the transport's `TIDEBASE_RETRY_TRANSPORT_FOR_MS` and `TIDEBASE_REQUEST_TIMEOUT_MS`.
 */
export const TidebaseConfig: Config.Config<TidebaseConfig> = Config.all({
  url: Config.string("TIDEBASE_URL").pipe(Config.withDefault("http://localhost:7373")),
  apiKey: Config.option(Config.redacted("TIDEBASE_API_KEY")),
  workerId: Config.option(Config.string("TIDEBASE_WORKER_ID")),
  retryTransportFor: millis("TIDEBASE_RETRY_TRANSPORT_FOR_MS", DEFAULT_RETRY_TRANSPORT_FOR),
  requestTimeout: millis("TIDEBASE_REQUEST_TIMEOUT_MS", DEFAULT_REQUEST_TIMEOUT)
})
