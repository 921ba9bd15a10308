import { Config, Option } from "effect"
import type { Redacted } from "effect"

export interface TidebaseConfig {
  readonly url: string
  readonly apiKey: Option.Option<Redacted.Redacted>
}

/** `TIDEBASE_URL` (default the local server) and the opt-in `TIDEBASE_API_KEY`. */
export const TidebaseConfig: Config.Config<TidebaseConfig> = Config.all({
  url: Config.string("TIDEBASE_URL").pipe(Config.withDefault("http://localhost:7373")),
  apiKey: Config.option(Config.redacted("TIDEBASE_API_KEY"))
})
