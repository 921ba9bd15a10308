import { Tidebase } from "@tidebase/effect"
import type { ResolveStepOptions } from "@tidebase/effect"
import { Effect, Either } from "effect"
import { optionOf, parseArgs } from "./Args.js"

export const resolveUsage =
  "tidebase resolve <runId> <stepId> --action retry|complete|fail [--output JSON] --actor NAME [--reason TEXT]"

interface ResolveArgs {
  readonly runId: string
  readonly stepId: string
  readonly options: ResolveStepOptions
}

const ACTIONS = ["retry", "complete", "fail"] as const

/** `<runId> <stepId>` and `--flag value` / `--flag=value`, in any order. */
const parse = (args: ReadonlyArray<string>): Either.Either<ResolveArgs, string> =>
  Either.flatMap(parseArgs(args, { action: "value", output: "value", actor: "value", reason: "value" }), (parsed) => {
    const [runId, stepId, ...extra] = parsed.positional
    if (runId === undefined || stepId === undefined || extra.length > 0) return Either.left("expected <runId> <stepId>")
    const action = ACTIONS.find((a) => a === optionOf(parsed, "action"))
    if (action === undefined) return Either.left("--action must be retry, complete or fail")
    const actor = optionOf(parsed, "actor")
    if (actor === undefined || actor === "") return Either.left("--actor is required")
    const text = optionOf(parsed, "output")
    let output: unknown = undefined
    if (text !== undefined) {
      try {
        output = JSON.parse(text)
      } catch {
        return Either.left("--output must be JSON (quote a string: '\"done\"')")
      }
    }
    const reason = optionOf(parsed, "reason")
    return Either.right({
      runId,
      stepId,
      options: { action, actor, ...(output === undefined ? {} : { output }), ...(reason === undefined ? {} : { reason }) }
    })
  })

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
