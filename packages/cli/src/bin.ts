#!/usr/bin/env node
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Config, ConfigError, Effect, Exit, Layer } from "effect"
import {
  DatabaseLive,
  MainLive,
  migrate,
  PendingMigrations,
  ProjectionRebuilder,
  ProjectionRebuilderLive,
  ReplayVerifier,
  ServerConfig,
  StartupError
} from "@tidebase/server"
import { forkCommand, forkUsage } from "./ForkCommand.js"
import { initCommand } from "./Init.js"
import { eventsCommand, eventsUsage, replayCommand, replayUsage, runsCommand, runsUsage, showCommand, showUsage } from "./Inspect.js"
import { resolveCommand, resolveUsage } from "./Resolve.js"

const usage = `usage: tidebase <command>
  start | dev              serve the API on PORT (default 7373); embedded Postgres unless DATABASE_URL
  migrate                  apply pending migrations
  projections rebuild      truncate the read models and refold them from the event log
  projections verify       rebuild in a rolled-back transaction; exit 1 if it differs from the live rows
  verify                   projections verify, then replay every run from its log and compare with GET /runs/:id
  init [--dir PATH]        write the Tidebase block of AGENTS.md (how a coding agent should use Tidebase); idempotent

over HTTP to --url, else TIDEBASE_URL (default http://localhost:7373), with TIDEBASE_API_KEY; --json prints JSON:
  ${runsUsage}
  ${showUsage}
  ${replayUsage}
  ${eventsUsage}
  ${forkUsage}
  ${resolveUsage}

exit codes: 0 done, 1 the command failed (differences found, no such run, server refused or unreachable), 2 usage`

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

/** Prints each table that differs; the number of differing tables. */
const verifyProjections = Effect.flatMap(ProjectionRebuilder, (r) => r.verify).pipe(
  Effect.map((differences) => {
    if (differences.length === 0) console.log("projections verify: 0 differences")
    for (const d of differences) {
      console.error(`${d.table}: ${d.onlyLive} live rows differ from rebuild, ${d.onlyRebuilt} rebuilt rows missing live (e.g. ${d.sampleIds.join(", ")})`)
    }
    return differences.length
  }),
  Effect.provide(ProjectionRebuilderLive)
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
  "projections verify": withDatabase(Effect.flatMap(verifyProjections, (differences) => Effect.sync(() => {
    if (differences > 0) process.exitCode = 1
  }))),
  verify: withDatabase(Effect.gen(function*() {
    const projections = yield* verifyProjections
    const replays = yield* Effect.flatMap(ReplayVerifier, (v) => v.verify).pipe(Effect.provide(ReplayVerifier.Default))
    for (const d of replays.differences) console.error(`run ${d.runId}: replay's ${d.field} differs from the read model`)
    console.log(`replay verify: ${replays.differences.length} differences over ${replays.runs} runs`)
    if (projections + replays.differences.length > 0) process.exitCode = 1
  }))
}

/** Subcommands whose arguments are their own (ids, options). */
const withArguments: Record<string, (args: ReadonlyArray<string>) => Effect.Effect<void>> = {
  resolve: resolveCommand,
  init: initCommand,
  runs: runsCommand,
  show: showCommand,
  replay: replayCommand,
  events: eventsCommand,
  fork: forkCommand
}

const name = process.argv.slice(2).join(" ")
const command = withArguments[process.argv[2] ?? ""]?.(process.argv.slice(3)) ?? commands[name]
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
