import { HttpServerResponse } from "@effect/platform"

/** A body Postgres already serialised: sent as is, with the type a Schema-encoded body has. */
export const jsonText = (body: string) => HttpServerResponse.text(body, { contentType: "application/json" })
