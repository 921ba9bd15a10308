import { createHmac, timingSafeEqual } from "node:crypto"

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as the server sends it in `x-tidebase-signature`. */
export const signWebhookBody = (body: string | Uint8Array, secret: string): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`

/**
 * True only for the exact bytes that were signed with `secret`. Verify the raw body: a parsed
 * and re-serialised JSON object is not the same bytes.
 */
export const verifyWebhookSignature = (
  body: string | Uint8Array,
  header: string | null | undefined,
  secret: string
): boolean => {
  if (header === null || header === undefined) return false
  const expected = Buffer.from(signWebhookBody(body, secret))
  const given = Buffer.from(header.trim())
  return given.length === expected.length && timingSafeEqual(given, expected)
}
