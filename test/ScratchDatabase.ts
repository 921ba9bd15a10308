import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import { migrate, pgClientLayer } from "@tidebase/server"
import { createScratchDatabase } from "./TestDatabase.js"

/**
 * `build(url)` over a migrated database of the suite file's own (dropped afterwards), with
 * the database's clients merged in: tampering with it disturbs no other test.
 */
export const onScratchDatabase = <A, E, R>(build: (url: string) => Layer.Layer<A, E, R>) =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const db = yield* Effect.acquireRelease(
        Effect.promise(() => createScratchDatabase(inject("databaseUrl"))),
        (db) => Effect.promise(db.close)
      )
      const database = pgClientLayer(Redacted.make(db.url))
      yield* Effect.provide(migrate, database)
      return build(db.url).pipe(Layer.provideMerge(database))
    })
  )
