import { Tidebase } from "@tidebase/effect"
import { Effect, Either } from "effect"
import { optionOf, parseArgs } from "./Args.js"
import type { OptionSpec, ParsedArgs } from "./Args.js"

/** Options every command that talks to a server takes. */
export const REMOTE_OPTIONS: OptionSpec = { url: "value", json: "flag" }

/** Exit codes scripts can rely on: 0 done, 1 the command failed (no such run, server refused or unreachable), 2 usage. */
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export class UsageError {
  readonly _tag = "UsageError"
  constructor(readonly message: string) {}
}

/**
 * A command against the server at `--url` (else `TIDEBASE_URL`, default localhost:7373), with
 * `TIDEBASE_API_KEY`: a usage problem exits 2, a failure exits 1, each with one line on stderr.
 */
export const remoteCommand = (
  name: string,
  usage: string,
  spec: OptionSpec,
  args: ReadonlyArray<string>,
  body: (parsed: ParsedArgs, json: boolean) => Effect.Effect<void, unknown, Tidebase>
): Effect.Effect<void> =>
  Either.match(parseArgs(args, { ...REMOTE_OPTIONS, ...spec }), {
    onLeft: (problem): Effect.Effect<void, unknown> => Effect.fail(new UsageError(problem)),
    onRight: (parsed): Effect.Effect<void, unknown> => {
      const url = optionOf(parsed, "url")
      return body(parsed, parsed.options.has("json")).pipe(Effect.provide(Tidebase.layer(url === undefined ? {} : { url })))
    }
  }).pipe(
    Effect.catchAll((error) =>
      Effect.sync(() => {
        if (error instanceof UsageError) {
          console.error(`tidebase ${name}: ${error.message}\nusage: ${usage}`)
          process.exitCode = EXIT_USAGE
        } else {
          console.error(`tidebase ${name}: ${(error as { readonly message?: unknown })?.message ?? String(error)}`)
          process.exitCode = EXIT_FAILED
        }
      })
    )
  )

/** An option that must be a whole number, if given. */
export const intOption = (parsed: ParsedArgs, name: string): Effect.Effect<number | undefined, UsageError> => {
  const text = optionOf(parsed, name)
  if (text === undefined) return Effect.succeed(undefined)
  const n = Number(text)
  return Number.isInteger(n) && n >= 0 ? Effect.succeed(n) : Effect.fail(new UsageError(`--${name} must be a whole number`))
}

export const printJson = (value: unknown) => Effect.sync(() => console.log(JSON.stringify(value, null, 2)))
