import type { Backoff } from "@tidebase/domain"
import { Context } from "effect"

/** The parts of the configuration that request handlers read. */
export class ServerSettings extends Context.Tag("Tidebase/ServerSettings")<ServerSettings, {
  readonly runLeaseMs: number
  readonly stepLeaseMs: number
  /** How a failed queue run backs off before its next try. */
  readonly queueBackoff: Backoff
}>() {}
