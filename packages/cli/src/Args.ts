import { Either } from "effect"

/** What a command takes: `value` options (`--name v` / `--name=v`, repeatable) and `flag`s (`--json`). */
export type OptionSpec = Readonly<Record<string, "value" | "flag">>

export interface ParsedArgs {
  readonly positional: ReadonlyArray<string>
  /** Every value given to each option, in order; a flag given has the value "true". */
  readonly options: ReadonlyMap<string, ReadonlyArray<string>>
}

export const parseArgs = (args: ReadonlyArray<string>, spec: OptionSpec): Either.Either<ParsedArgs, string> => {
  const positional: Array<string> = []
  const options = new Map<string, Array<string>>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith("--")) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf("=")
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    const kind = spec[name]
    if (kind === undefined) return Either.left(`unknown option --${name}`)
    const value = kind === "flag" ? "true" : eq === -1 ? args[++i] : arg.slice(eq + 1)
    if (value === undefined) return Either.left(`--${name} needs a value`)
    options.set(name, [...(options.get(name) ?? []), value])
  }
  return Either.right({ positional, options })
}

/** The last value given to `name`, if any. */
export const optionOf = (parsed: ParsedArgs, name: string): string | undefined => parsed.options.get(name)?.at(-1)
