/** Colours only on a terminal (and never with NO_COLOR): piped output stays plain text. */
const colours = process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined

const paint = (code: number) => (text: string) => colours ? `\u001b[${code}m${text}\u001b[0m` : text
export const bold = paint(1)
export const dim = paint(2)
const red = paint(31)
const green = paint(32)
const yellow = paint(33)
const cyan = paint(36)

/** A status in the colour a person scans for: green done, red failed, yellow waiting, cyan going. */
export const status = (s: string) =>
  s === "completed" || s === "approved" ? green(s)
  : s === "failed" || s === "cancelled" || s === "rejected" || s.startsWith("failed") || s === "manual_review" ? red(s)
  : s === "pending" || s === "queued" ? yellow(s)
  : cyan(s)

const visible = (text: string) => text.replace(/\u001b\[\d+m/g, "").length

/** Rows under a header, each column as wide as its widest cell. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ""))))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c + " ".repeat(widths[i]! - visible(c))).join("  ").trimEnd()
  return [bold(line(header)), ...rows.map(line)].join("\n")
}

export const duration = (fromIso: string | null, toIso: string | null): string => {
  if (fromIso === null || toIso === null) return ""
  const ms = Date.parse(toIso) - Date.parse(fromIso)
  return ms < 1000 ? `${ms}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}

/** JSON on one line, cut to `max` characters. */
export const brief = (value: unknown, max = 60): string => {
  const text = JSON.stringify(value) ?? "null"
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
