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

export const ratioTable = (ratios: ReadonlyArray<Ratio>, figures: ReadonlyMap<string, Figure>) => {
  const width = Math.max(30, ...ratios.map((r) => r.label.length)) + 2
  const rows = ratios.map((r) => {
    const value = (figures.get(r.numerator)?.throughput.perSecond ?? Number.NaN) / (figures.get(r.denominator)?.throughput.perSecond ?? Number.NaN)
    const verdict = r.target === undefined ? "" : Number.isFinite(value) ? (value >= r.target ? `  (target ≥ ${r.target}: met)` : `  (target ≥ ${r.target}: MISSED)`) : `  (target ≥ ${r.target})`
    return `${pad(r.label, width)}${padLeft(fixed(value, 3), 8)}${verdict}`
  })
  const header = `${pad("ratio", width)}${padLeft("value", 8)}`
  return [header, "-".repeat(header.length), ...rows].join("\n")
}
