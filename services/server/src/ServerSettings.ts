import { Context } from "effect"

/** The parts of the configuration that request handlers read. */
export class ServerSettings extends Context.Tag("Tidebase/ServerSettings")<ServerSettings, {
  readonly runLeaseMs: number
  readonly stepLeaseMs: number
}>() {}
