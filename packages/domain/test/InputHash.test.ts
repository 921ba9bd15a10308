import { describe, expect, it } from "@effect/vitest"
import { inputHash, stableStringify } from "../src/index.js"

describe("input hashing", () => {
  it("ignores object key order at every depth", () => {
    expect(inputHash({ a: 1, b: { c: [1, { x: 1, y: 2 }], d: "e" } })).toBe(
      inputHash({ b: { d: "e", c: [1, { y: 2, x: 1 }] }, a: 1 })
    )
  })

  it("distinguishes different values, array order and types", () => {
    const hashes = [{ a: 1 }, { a: "1" }, { a: [1, 2] }, { a: [2, 1] }, null, {}, []].map(inputHash)
    expect(new Set(hashes).size).toBe(hashes.length)
  })

  it("treats an absent input like null and drops undefined fields like JSON does", () => {
    expect(inputHash(undefined)).toBe(inputHash(null))
    expect(stableStringify({ a: undefined, b: 1 })).toBe('{"b":1}')
  })
})
