import { lookup } from "node:dns/promises"
import { isIP } from "node:net"

const v4 = (ip: string) => ip.split(".").map(Number) as [number, number, number, number]

/** Loopback, private, link-local, unspecified and carrier-grade NAT ranges, v4 and v6 (v4-mapped included). */
export const isPrivateAddress = (ip: string): boolean => {
  if (isIP(ip) === 4) {
    const [a, b] = v4(ip)
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
  }
  const lower = ip.toLowerCase()
  if (lower.startsWith("::ffff:")) return isPrivateAddress(lower.slice(7))
  return lower === "::1" || lower === "::" || lower.startsWith("fc") || lower.startsWith("fd") || lower.startsWith("fe8") ||
    lower.startsWith("fe9") || lower.startsWith("fea") || lower.startsWith("feb")
}

/** Why `url` may not be called when private targets are denied, or undefined when it may. */
export const privateTargetRefusal = async (url: string): Promise<string | undefined> => {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "")
  const addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address)
  const denied = addresses.find(isPrivateAddress)
  return denied === undefined ? undefined : `refused: ${host} is the private address ${denied} (TIDEBASE_WEBHOOK_DENY_PRIVATE)`
}
