#!/usr/bin/env -S node --import tsx
import { NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Exit, Layer } from "effect"
import { DatabaseLive, MainLive, migrate, ProjectionRebuilder, ProjectionRebuilderLive, ServerConfig } from "@tidebase/server"

const usage = `usage: tidebase <command>
  start | dev              serve the API on PORT (default 7373); embedded Postgres unless DATABASE_URL
  migrate                  apply pending migrations
  projections rebuild      truncate the read models and refold them from the event log
  projections verify       rebuild in a rolled-back transaction; exit 1 if it differs from the live rows`

/** One-shot commands against the configured database (which they start when embedded). */
const withDatabase = <A, E>(body: Effect.Effect<A, E, Layer.Layer.Success<ReturnType<typeof DatabaseLive>>>) =>
  Effect.flatMap(Config.unwrap(ServerConfig), (config) => Effect.provide(body, DatabaseLive(config)))

const commands: Record<string, Effect.Effect<void, unknown>> = {
  start: Layer.launch(MainLive),
  dev: Layer.launch(MainLive),
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
const command = commands[name]
if (command === undefined) {
  console.error(usage)
  process.exitCode = name === "" || name === "help" || name === "--help" ? 0 : 2
} else {
  NodeRuntime.runMain(command, {
    // SIGINT/SIGTERM interrupt the main fiber: that is the clean shutdown, not a failure.
    teardown: (exit, onExit) => onExit(Exit.isFailure(exit) && !Exit.isInterrupted(exit) ? 1 : 0)
  })
}
