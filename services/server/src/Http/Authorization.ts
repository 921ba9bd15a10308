import { Authorization, EventStreamAuthorization, Unauthorized } from "@tidebase/api"
import { Effect, Layer, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"

const digest = (value: string) => createHash("sha256").update(value).digest()

/**
 * Opt-in: with no key every request passes. Comparing digests keeps the compare
 * constant-time whatever the length of the key a client sends.
 */
export const keyMatches = (apiKey: Option.Option<string>): (given: string) => boolean => {
  if (Option.isNone(apiKey)) return () => true
  const expected = digest(apiKey.value)
  return (given) => timingSafeEqual(digest(given.trim()), expected)
}

export const checkKey = (apiKey: Option.Option<string>) => {
  const matches = keyMatches(apiKey)
  return (given: Redacted.Redacted) => matches(Redacted.value(given)) ? Effect.void : Effect.fail(new Unauthorized())
}

/** The `security` handlers of both middlewares: the same key, by header or (event stream only) by `?token=`. */
export const AuthorizationLive = (apiKey: Option.Option<string>) => {
  const check = checkKey(apiKey)
  return Layer.mergeAll(
    Layer.succeed(Authorization, Authorization.of({ bearer: check })),
    Layer.succeed(EventStreamAuthorization, EventStreamAuthorization.of({ bearer: check, token: check }))
  )
}
