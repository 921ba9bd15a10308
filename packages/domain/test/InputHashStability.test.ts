import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { inputHash, stableStringify } from "../src/index.js"

/** The formula inputHash used while it was built on node:crypto; stored checkpoints carry its output. */
const nodeInputHash = (value: unknown) =>
  `sha256:${createHash("sha256").update(stableStringify(value ?? null)).digest("hex")}`

describe("inputHash is byte-for-byte stable across the move off node:crypto", () => {
  it("keeps the hashes already stored in checkpoints", () => {
    // Computed with the node:crypto implementation before it was replaced.
    expect(inputHash(null)).toBe("sha256:74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b")
    expect(inputHash(undefined)).toBe("sha256:74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b")
    expect(inputHash({ b: [1, "two", { d: null, c: true }], a: "héllo ✓ 😀" })).toBe(
      nodeInputHash({ b: [1, "two", { d: null, c: true }], a: "héllo ✓ 😀" })
    )
  })

  it("equals the node:crypto formula for arbitrary JSON values", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: "binary" }), fc.jsonValue({ stringUnit: "grapheme" })),
        (value) => {
          expect(inputHash(value)).toBe(nodeInputHash(value))
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("equals the node:crypto formula for values JSON only partly represents", () => {
    fc.assert(
      fc.property(fc.anything({ withDate: true, withNullPrototype: true }), (value) => {
        expect(inputHash(value)).toBe(nodeInputHash(value))
      }),
      { numRuns: 300 }
    )
  })
})
