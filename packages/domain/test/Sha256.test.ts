import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { sha256Hex } from "../src/Sha256.js"

// The test may lean on node:crypto as the reference; the source may not.
const nodeSha256 = (input: string | Uint8Array) => createHash("sha256").update(input).digest("hex")

/** Any UTF-16 code unit, so lone and mis-ordered surrogates turn up as well as valid text. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit))

describe("sha256Hex", () => {
  it("matches the FIPS 180 / NIST test vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    // 448 bits: the padding no longer fits in the block, so a second block is needed.
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )
    // 896 bits
    expect(
      sha256Hex(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
      )
    ).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
  })

  it("hashes a 1 MB input (one million 'a') as a string and as bytes", () => {
    const million = "a".repeat(1_000_000)
    const expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    expect(sha256Hex(million)).toBe(expected)
    expect(sha256Hex(new TextEncoder().encode(million))).toBe(expected)
  })

  it("hashes strings as UTF-8, multi-byte and astral characters included", () => {
    const text = "héllo wörld ✓ 😀 中文"
    expect(sha256Hex(text)).toBe("39782e42075fecc595e609ac461ce191dbcaee30406f923edf1749347603db8d")
    expect(sha256Hex(text)).toBe(sha256Hex(new TextEncoder().encode(text)))
    expect(sha256Hex(text)).toBe(nodeSha256(text))
  })

  it("encodes lone surrogates like TextEncoder does (as U+FFFD)", () => {
    const replacement = sha256Hex(new Uint8Array([0xef, 0xbf, 0xbd]))
    expect(sha256Hex("\ud800")).toBe(replacement)
    expect(sha256Hex("\udfff")).toBe(replacement)
    for (const text of ["a\ud800b", "\udc00\ud800", "x\ud83d", "\ude00y", "\ud83d\ude00\ud83d"]) {
      expect(sha256Hex(text)).toBe(sha256Hex(new TextEncoder().encode(text)))
      expect(sha256Hex(text)).toBe(nodeSha256(text))
    }
  })

  it("agrees with node:crypto at every padding boundary from 0 to 300 bytes", () => {
    const bytes = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff)
    for (let length = 0; length <= 300; length++) {
      const slice = bytes.subarray(0, length)
      expect(sha256Hex(slice), `length ${length}`).toBe(nodeSha256(slice))
      const ascii = "x".repeat(length)
      expect(sha256Hex(ascii), `ascii length ${length}`).toBe(nodeSha256(ascii))
    }
  })

  it("agrees with node:crypto for random byte arrays", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(sha256Hex(bytes)).toBe(nodeSha256(bytes))
      }),
      { numRuns: 500 }
    )
  })

  it("agrees with node:crypto for random strings of any code units", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: codeUnit, maxLength: 300 }),
          fc.string({ unit: "binary", maxLength: 300 }),
          fc.string({ unit: "grapheme", maxLength: 100 })
        ),
        (text) => {
          expect(sha256Hex(text)).toBe(nodeSha256(text))
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("agrees with node:crypto for strings larger than the reused encode buffer", () => {
    // Long strings take the allocate-and-encode path; mid-sized ones grow the reused buffer.
    for (const length of [1_000, 5_000, 16_384, 16_385, 40_000]) {
      const text = Array.from({ length }, (_, i) => String.fromCharCode((i * 2654435761) % 0xffff)).join("")
      expect(sha256Hex(text), `length ${length}`).toBe(nodeSha256(text))
      // Small inputs hashed after a large one are unaffected by the reused buffers.
      expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
  })
})
