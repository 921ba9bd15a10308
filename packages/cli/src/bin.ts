#!/usr/bin/env -S node --import tsx
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Config, ConfigError, Effect, Exit, Layer } from "effect"
import {
  DatabaseLive,
  MainLive,
  migrate,
  PendingMigrations,
  ProjectionRebuilder,
  ProjectionRebuilderLive,
  ServerConfig,
  StartupError
} from "@tidebase/server"
import { resolveCommand } from "./Resolve.js"

const usage = `usage: tidebase <command>
  start | dev              serve the API on PORT (default 7373); embedded Postgres unless DATABASE_URL
  migrate                  apply pending migrations
  projections rebuild      truncate the read models and refold them from the event log
  projections verify       rebuild in a rolled-back transaction; exit 1 if it differs from the live rows
  resolve <runId> <stepId> --action retry|complete|fail [--output JSON] --actor NAME [--reason TEXT]
                           a person's decision on a parked step, over HTTP to TIDEBASE_URL`

/** One-shot commands against the configured database (which they start when embedded). */
const withDatabase = <A, E>(body: Effect.Effect<A, E, Layer.Layer.Success<ReturnType<typeof DatabaseLive>>>) =>
  Effect.flatMap(Config.unwrap(ServerConfig), (config) => Effect.provide(body, DatabaseLive(config)))

/** A server that cannot start says why and what to change in one line; anything else is a bug and shows its cause. */
const serve = Layer.launch(MainLive).pipe(
  Effect.tapErrorCause((cause) =>
    Effect.sync(() => {
      if (Cause.isInterruptedOnly(cause)) return
      const error = Cause.squash(cause)
      if (error instanceof StartupError || error instanceof PendingMigrations) console.error(`tidebase: ${error.message}`)
      else if (ConfigError.isConfigError(error)) console.error(`tidebase: invalid configuration: ${String(error)}`)
      else console.error(Cause.pretty(cause))
    })
  )
)

const commands: Record<string, Effect.Effect<void, unknown>> = {
  start: serve,
  dev: serve,
  migrate: withDatabase(
    Effect.map(migrate, (applied) =>
      console.log(applied.length === 0 ? "no pending migrations" : `applied ${applied.map(([id, name]) => `${id}_${name}`).join(", ")}`))
  ),
  "projections rebuild": withDatabase(
    Effect.flatMap(ProjectionRebuilder, (r) => r.rebuild).pipe(
      Effect.map((streams) => console.log(`rebuilt read models from ${streams} streams`)),
      Effect.provide(ProjectionRebuilderLive)
    )
  ),
  "projections verify": withDatabase(
    Effect.flatMap(ProjectionRebuilder, (r) => r.verify).pipe(
      Effect.flatMap((differences) => {
        if (differences.length === 0) return Effect.sync(() => console.log("projections verify: 0 differences"))
        for (const d of differences) {
          console.error(`${d.table}: ${d.onlyLive} live rows differ from rebuild, ${d.onlyRebuilt} rebuilt rows missing live (e.g. ${d.sampleIds.join(", ")})`)
        }
        return Effect.sync(() => { process.exitCode = 1 })
      }),
      Effect.provide(ProjectionRebuilderLive)
    )
  )
}

const name = process.argv.slice(2).join(" ")
const command = process.argv[2] === "resolve" ? resolveCommand(process.argv.slice(3)) : commands[name]
if (command === undefined) {
  console.error(usage)
  process.exitCode = name === "" || name === "help" || name === "--help" ? 0 : 2
} else {
  NodeRuntime.runMain(command, {
    disableErrorReporting: command === serve,
    // SIGINT/SIGTERM interrupt the main fiber: that is the clean shutdown, not a failure.
    teardown: (exit, onExit) => onExit(Exit.isFailure(exit) && !Exit.isInterrupted(exit) ? 1 : 0)
  })
}
