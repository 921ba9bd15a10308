import { sha256Hex } from "./Sha256.js"

/** JSON with object keys sorted at every depth, so logically equal inputs hash equally. */
export const stableStringify = (value: unknown): string => JSON.stringify(sortKeys(value)) ?? "null"

const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) out[key] = sortKeys(v)
    }
    return out
  }
  return value
}

/**
 * `sha256:` + hex SHA-256 of the UTF-8 stable JSON. Stored checkpoints are keyed by it, so the output
 * must stay byte-for-byte what `createHash("sha256").update(json).digest("hex")` gave before.
 */
export const inputHash = (value: unknown): string => `sha256:${sha256Hex(stableStringify(value ?? null))}`
