import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import { migrate, pgClientLayer, ProjectionRebuilder, ProjectionRebuilderLive, ReplayVerifier } from "@tidebase/server"
import { Redacted } from "effect"
import { createTestDatabase } from "./TestDatabase.js"

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

const onDatabase = <A, E>(url: string, effect: Effect.Effect<A, E, any>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(effect, pgClientLayer(Redacted.make(url)))) as Effect.Effect<A, E>)

export default async function setup(project: TestProject) {
  const database = await createTestDatabase()
  await onDatabase(database.url, migrate)
  project.provide("databaseUrl", database.url)

  return async () => {
    try {
      // Read models are disposable only if refolding the log gives exactly the live rows.
      const differences = await onDatabase(
        database.url,
        Effect.flatMap(ProjectionRebuilder, (r) => r.verify).pipe(Effect.provide(ProjectionRebuilderLive))
      )
      if (differences.length > 0) {
        throw new Error(`projections verify after the suite: ${JSON.stringify(differences)}`)
      }
      console.log("projections verify after the suite: 0 differences")
      // Replay's promise: every run folded from its log alone is what GET /runs/:id shows.
      const replays = await onDatabase(database.url, Effect.flatMap(ReplayVerifier, (v) => v.verify).pipe(Effect.provide(ReplayVerifier.Default)))
      if (replays.differences.length > 0) {
        throw new Error(`replay differs from the read models: ${JSON.stringify(replays.differences.slice(0, 5))}`)
      }
      console.log(`replay of all ${replays.runs} runs equals their read models`)
    } finally {
      await database.close()
    }
  }
}
