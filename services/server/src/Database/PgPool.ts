import { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Exit, Layer, Redacted } from "effect"
import pg from "pg"

/** Timestamps leave the database as ISO strings, the form the wire and the domain use. */
const TIMESTAMPTZ_OID = 1184
const INT8_OID = 20

export const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(value).toISOString()
    if (oid === INT8_OID) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  }) as typeof pg.types.getTypeParser
}

export interface PgQuery {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
  /** A statement with a name is parsed once per connection and then only bound and executed. */
  readonly name?: string | undefined
}

/**
 * The command path's own pool over plain `pg`: named (prepared) statements and no per-row
 * name transforms. A checkpoint is one of these queries, so their CPU is the server's budget.
 */
export type PgQueryFn = <A = Record<string, unknown>>(query: PgQuery) => Effect.Effect<ReadonlyArray<A>, SqlError>

export class PgPool extends Context.Tag("Tidebase/PgPool")<PgPool, {
  readonly query: PgQueryFn
  /**
   * `use` in one transaction on one connection (its `query`): committed when it succeeds, rolled
   * back when it fails or is interrupted.
   */
  readonly transaction: <A, E, R>(use: (query: PgQueryFn) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
}>() {}

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">

const queryOn = (target: Queryable): PgQueryFn => <A>({ name, params, text }: PgQuery) =>
  Effect.async<ReadonlyArray<A>, SqlError>((resume) => {
    target.query({ text, values: params as Array<unknown>, ...(name === undefined ? {} : { name }) }, (cause, result) => {
      resume(
        cause
          ? Effect.fail(new SqlError({ cause, message: "Failed to execute statement" }))
          : Effect.succeed(result.rows as ReadonlyArray<A>)
      )
    })
  })

export const PgPoolLive = (url: Redacted.Redacted<string>) =>
  Layer.scoped(
    PgPool,
    Effect.gen(function*() {
      const pool = yield* Effect.acquireRelease(
        Effect.sync(() => new pg.Pool({ connectionString: Redacted.value(url), max: 20, types: pgTypes })),
        (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeout("2 seconds"), Effect.ignore)
      )
      pool.on("error", () => {})
      const query = queryOn(pool)
      const transaction = <A, E, R>(use: (query: PgQueryFn) => Effect.Effect<A, E, R>) =>
        Effect.acquireUseRelease(
          Effect.tryPromise({
            try: () => pool.connect(),
            catch: (cause) => new SqlError({ cause, message: "Failed to connect" })
          }),
          (client) => {
            const onClient = queryOn(client)
            return onClient({ text: "begin", params: [] }).pipe(
              Effect.zipRight(use(onClient)),
              Effect.tap(() => onClient({ text: "commit", params: [] })),
              Effect.tapErrorCause(() => Effect.ignore(onClient({ text: "rollback", params: [] })))
            )
          },
          // An interrupted transaction may have a statement in flight: its connection is closed, not reused.
          (client, exit) => Effect.sync(() => client.release(Exit.isInterrupted(exit) ? true : undefined))
        )
      return { query, transaction }
    })
  )
