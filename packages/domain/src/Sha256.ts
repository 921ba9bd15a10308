/**
 * SHA-256 (FIPS 180-4) in plain TypeScript, so the domain loads in browsers without `node:crypto`
 * and still hashes synchronously. Strings are hashed as UTF-8 exactly as `TextEncoder` encodes them
 * (lone surrogates become U+FFFD), which is also what Node's `hash.update(string)` does.
 *
 * Tuned for small inputs: constants are precomputed and the message schedule, state, padding block
 * and a small encode buffer are module-level and reused. That is safe because hashing is synchronous
 * and never calls out to user code.
 */

/** First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])

/** First 32 bits of the fractional parts of the square roots of the first 8 primes. */
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
])

const H = new Int32Array(8)
const W = new Int32Array(64)
/** The last one or two blocks: leftover message bytes, the 0x80 marker, zeros and the bit length. */
const TAIL = new Uint8Array(128)

const HEX: ReadonlyArray<string> = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

const encoder = new TextEncoder()
/** Strings up to this many UTF-16 units are encoded into a reused buffer (3 bytes per unit at most). */
const SMALL_STRING = 1 << 14
let scratch = new Uint8Array(1024)

/** Runs the compression function over the 64-byte blocks of `bytes[0, end)`; `end` is a multiple of 64. */
const compress = (bytes: Uint8Array, end: number): void => {
  let h0 = H[0]!, h1 = H[1]!, h2 = H[2]!, h3 = H[3]!, h4 = H[4]!, h5 = H[5]!, h6 = H[6]!, h7 = H[7]!
  for (let offset = 0; offset < end; offset += 64) {
    for (let t = 0, i = offset; t < 16; t++, i += 4) {
      W[t] = (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!
    }
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15]!
      const y = W[t - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      W[t] = (s1 + W[t - 7]! + s0 + W[t - 16]!) | 0
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const ch = g ^ (e & (f ^ g))
      const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const maj = (a & b) | (c & (a | b))
      const t2 = (S0 + maj) | 0
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
    h5 = (h5 + f) | 0
    h6 = (h6 + g) | 0
    h7 = (h7 + h) | 0
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4; H[5] = h5; H[6] = h6; H[7] = h7
}

/** SHA-256 of `bytes[0, length)` as 64 lowercase hex digits. */
const digestHex = (bytes: Uint8Array, length: number): string => {
  H.set(IV)
  const rem = length % 64
  const full = length - rem
  compress(bytes, full)

  TAIL.fill(0)
  for (let i = 0; i < rem; i++) TAIL[i] = bytes[full + i]!
  TAIL[rem] = 0x80
  const tailLength = rem < 56 ? 64 : 128
  // Message length in bits as a 64-bit big-endian integer (lengths are below 2^53 bytes).
  const high = Math.floor(length / 0x20000000)
  const low = (length * 8) >>> 0
  TAIL[tailLength - 8] = high >>> 24
  TAIL[tailLength - 7] = high >>> 16
  TAIL[tailLength - 6] = high >>> 8
  TAIL[tailLength - 5] = high
  TAIL[tailLength - 4] = low >>> 24
  TAIL[tailLength - 3] = low >>> 16
  TAIL[tailLength - 2] = low >>> 8
  TAIL[tailLength - 1] = low
  compress(TAIL, tailLength)

  let out = ""
  for (let i = 0; i < 8; i++) {
    const word = H[i]!
    out += HEX[word >>> 24]! + HEX[(word >>> 16) & 0xff]! + HEX[(word >>> 8) & 0xff]! + HEX[word & 0xff]!
  }
  return out
}

/** SHA-256 as 64 lowercase hex digits; a string is hashed as its UTF-8 encoding (like `TextEncoder`). */
export const sha256Hex = (input: string | Uint8Array): string => {
  if (typeof input !== "string") return digestHex(input, input.length)
  if (input.length > SMALL_STRING) {
    const bytes = encoder.encode(input)
    return digestHex(bytes, bytes.length)
  }
  const needed = input.length * 3
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, scratch.length * 2))
  const { written } = encoder.encodeInto(input, scratch)
  return digestHex(scratch, written)
}
