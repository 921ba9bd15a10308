import { Cause, FiberRef, HashMap, HashSet, Inspectable, Layer, Logger, LogLevel } from "effect"

/** `TIDEBASE_LOG`: a line of text per event, or a JSON object per line for log shippers. */
export type LogFormat = "text" | "json"

const messageText = (message: unknown): string =>
  Array.isArray(message) ? message.map((m) => messageText(m)).join(" ") : typeof message === "string" ? message : Inspectable.toStringUnknown(message)

/** What went wrong and where, with each error's own `cause` (a driver's message, say) named once: no object dump. */
export const causeText = (cause: Cause.Cause<unknown>): string => {
  const lines = [Cause.pretty(cause, { renderErrorCause: false })]
  for (const error of [...Cause.defects(cause), ...Cause.failures(cause)]) {
    for (let c = (error as { cause?: unknown })?.cause, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
      lines.push(`caused by: ${c instanceof Error ? `${c.name}: ${c.message}` : messageText(c)}`)
      c = (c as { cause?: unknown }).cause
    }
  }
  return lines.join("\n")
}

const write = (level: LogLevel.LogLevel, line: string) =>
  (LogLevel.greaterThanEqual(level, LogLevel.Error) ? process.stderr : process.stdout).write(line + "\n")

const textLogger = Logger.make(({ cause, date, logLevel, message }) => {
  const text = `${date.toISOString()} ${logLevel.label.padEnd(5)} ${messageText(message)}`
  write(logLevel, Cause.isEmpty(cause) ? text : `${text}\n  ${causeText(cause).split("\n").join("\n  ")}`)
})

const jsonLogger = Logger.make(({ annotations, cause, date, logLevel, message }) => {
  const entry: Record<string, unknown> = { time: date.toISOString(), level: logLevel.label, msg: messageText(message) }
  for (const [key, value] of HashMap.toEntries(annotations)) entry[key] = value
  if (!Cause.isEmpty(cause)) entry["cause"] = causeText(cause)
  write(logLevel, JSON.stringify(entry))
})

/** The process's one logger, in place of Effect's default (or the pretty one `runMain` installs). */
export const LoggerLive = (format: LogFormat) =>
  Layer.fiberRefLocallyScopedWith(FiberRef.currentLoggers, (loggers) =>
    HashSet.add(
      HashSet.filter(loggers, (l) => l !== Logger.defaultLogger && l !== Logger.prettyLoggerDefault),
      format === "json" ? jsonLogger : textLogger
    ))
