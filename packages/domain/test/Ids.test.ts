import { describe, expect, it } from "@effect/vitest"
import { ID_PATTERN, newLeaseOwner, newRunId, newStepId } from "../src/index.js"

describe("generated ids", () => {
  it("are a prefix and 32 lowercase hex digits from Web Crypto's randomUUID, and wire-safe", () => {
    for (const [make, prefix] of [[newRunId, "run_"], [newStepId, "step_"], [newLeaseOwner, "lease_"]] as const) {
      const id = make()
      expect(id).toMatch(new RegExp(`^${prefix}[0-9a-f]{32}$`))
      expect(id).toMatch(ID_PATTERN)
    }
  })

  it("do not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, newRunId))
    expect(ids.size).toBe(10_000)
  })
})
