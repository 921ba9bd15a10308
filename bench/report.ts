import type { Figure, Ratio } from "./section.js"

const pad = (s: string, n: number) => s.padEnd(n)
const padLeft = (s: string, n: number) => s.padStart(n)
const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")

export const figureTable = (figures: ReadonlyArray<Figure>) => {
  const width = Math.max(30, ...figures.map((f) => f.label.length)) + 2
  const header = `${pad("figure", width)}${padLeft("clients", 8)}${padLeft("per second", 13)}${padLeft("p50 ms", 9)}${padLeft("p99 ms", 9)}${padLeft("count", 9)}`
  const rows = figures.map((f) =>
    `${pad(f.label, width)}${padLeft(String(f.clients), 8)}${padLeft(fixed(f.throughput.perSecond, 1), 13)}` +
    `${padLeft(fixed(f.throughput.p50Ms, 2), 9)}${padLeft(fixed(f.throughput.p99Ms, 2), 9)}${padLeft(String(f.throughput.count), 9)}`
  )
  return [header, "-".repeat(header.length), ...rows].join("\n")
}

/** "(target ≤ 0.6 ms: met)": how a figure compares with the target for it. */
export const verdict = (value: number, direction: "≤" | "≥", target: number, unit = "", name = "target") => {
  const stated = `${name} ${direction} ${target}${unit}`
  if (!Number.isFinite(value)) return `(${stated})`
  const met = direction === "≤" ? value <= target : value >= target
  return `(${stated}: ${met ? "met" : "MISSED"})`
}

const ratioVerdict = (value: number, r: Ratio) =>
  (r.target === undefined ? "" : `  ${verdict(value, "≥", r.target)}`) +
  (r.stretch === undefined ? "" : ` ${verdict(value, "≥", r.stretch, "", "stretch")}`)

export const ratioTable = (ratios: ReadonlyArray<Ratio>, figures: ReadonlyMap<string, Figure>) => {
  const width = Math.max(30, ...ratios.map((r) => r.label.length)) + 2
  const rows = ratios.map((r) => {
    const value = (figures.get(r.numerator)?.throughput.perSecond ?? Number.NaN) / (figures.get(r.denominator)?.throughput.perSecond ?? Number.NaN)
    return `${pad(r.label, width)}${padLeft(fixed(value, 3), 8)}${ratioVerdict(value, r)}`
  })
  const header = `${pad("ratio", width)}${padLeft("value", 8)}`
  return [header, "-".repeat(header.length), ...rows].join("\n")
}
