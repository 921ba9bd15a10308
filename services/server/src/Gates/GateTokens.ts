import { Effect } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { PgPool } from "../Database/PgPool.js"

const sha256 = (text: string) => createHash("sha256").update(text).digest()

/**
 * A gate's resolve token is sha256(secret:gateId) with a secret the database made for itself
 * (migration 0006): nothing stores a token, and the SQL that builds run details derives the
 * same one (`tokenSql`). Every replica sharing the database agrees on every token.
 */
export class GateTokens extends Effect.Service<GateTokens>()("Tidebase/GateTokens", {
  effect: Effect.gen(function*() {
    const pool = yield* PgPool
    const rows = yield* pool.query<{ value: string }>({
      text: "select value from tidebase_secrets where name = 'gate_token'",
      params: []
    }).pipe(Effect.orDie)
    const secret = rows[0]?.value
    if (secret === undefined) return yield* Effect.dieMessage("tidebase_secrets has no gate_token: run the migrations")

    const tokenOf = (gateId: string) => sha256(`${secret}:${gateId}`).toString("hex")

    /** Compares digests of both, so the time taken says nothing about how much of a token was right. */
    const matches = (gateId: string, given: string) => timingSafeEqual(sha256(tokenOf(gateId)), sha256(given))

    return { tokenOf, matches } as const
  })
}) {}

/** The same token in SQL, for gates built as JSON by Postgres; `g` is a `gates` row. */
export const tokenSql = (g: string) =>
  `encode(sha256(convert_to((select value from tidebase_secrets where name = 'gate_token') || ':' || ${g}.id, 'UTF8')), 'hex')`
