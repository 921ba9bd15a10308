import { Tidebase } from "@tidebase/effect"
import type { ResolveStepOptions } from "@tidebase/effect"
import { Effect, Either } from "effect"

export const resolveUsage =
  "tidebase resolve <runId> <stepId> --action retry|complete|fail [--output JSON] --actor NAME [--reason TEXT]"

interface ResolveArgs {
  readonly runId: string
  readonly stepId: string
  readonly options: ResolveStepOptions
}

const ACTIONS = ["retry", "complete", "fail"] as const
const FLAGS = new Set(["action", "output", "actor", "reason"])

/** `<runId> <stepId>` and `--flag value` / `--flag=value`, in any order. */
const parse = (args: ReadonlyArray<string>): Either.Either<ResolveArgs, string> => {
  const positional: Array<string> = []
  const flags = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith("--")) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf("=")
    const name = arg.slice(2, eq === -1 ? undefined : eq)
    if (!FLAGS.has(name)) return Either.left(`unknown option --${name}`)
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1)
    if (value === undefined) return Either.left(`--${name} needs a value`)
    flags.set(name, value)
  }
  const [runId, stepId, ...extra] = positional
  if (runId === undefined || stepId === undefined || extra.length > 0) return Either.left("expected <runId> <stepId>")
  const action = ACTIONS.find((a) => a === flags.get("action"))
  if (action === undefined) return Either.left("--action must be retry, complete or fail")
  const actor = flags.get("actor")
  if (actor === undefined || actor === "") return Either.left("--actor is required")
  const text = flags.get("output")
  let output: unknown = undefined
  if (text !== undefined) {
    try {
      output = JSON.parse(text)
    } catch {
      return Either.left("--output must be JSON (quote a string: '\"done\"')")
    }
  }
  const reason = flags.get("reason")
  return Either.right({
    runId,
    stepId,
    options: { action, actor, ...(output === undefined ? {} : { output }), ...(reason === undefined ? {} : { reason }) }
  })
}

/** `tidebase resolve`: a person's decision on a parked step, over HTTP to `TIDEBASE_URL` (bearer `TIDEBASE_API_KEY`). */
export const resolveCommand = (args: ReadonlyArray<string>): Effect.Effect<void> =>
  Either.match(parse(args), {
    onLeft: (problem) =>
      Effect.sync(() => {
        console.error(`tidebase resolve: ${problem}\nusage: ${resolveUsage}`)
        process.exitCode = 2
      }),
    onRight: ({ options, runId, stepId }) =>
      Effect.flatMap(Tidebase, (tide) => tide.steps.resolve(runId, stepId, options)).pipe(
        Effect.map(({ run, step }) =>
          console.log(
            `step ${step.name} (${step.id}) of run ${run.id}: ${options.action} by ${options.actor}; step is ${step.status}, run is ${run.status}`
          )
        ),
        Effect.provide(Tidebase.Default),
        Effect.catchAll((error) =>
          Effect.sync(() => {
            console.error(`tidebase resolve: ${error.message}`)
            process.exitCode = 1
          })
        )
      )
  })
