import { createHash } from "node:crypto"

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

export const inputHash = (value: unknown): string =>
  `sha256:${createHash("sha256").update(stableStringify(value ?? null)).digest("hex")}`
