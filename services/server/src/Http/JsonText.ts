import { HttpServerResponse } from "@effect/platform"
import { Stream } from "effect"

/** A body Postgres already serialised: sent as is, with the type a Schema-encoded body has. */
export const jsonText = (body: string) => HttpServerResponse.text(body, { contentType: "application/json" })

/** A JSON body held in pieces (see DetailCache): written one after another, never copied into one buffer. */
export const jsonParts = (parts: ReadonlyArray<Uint8Array>) =>
  HttpServerResponse.stream(Stream.fromIterable(parts), {
    contentType: "application/json",
    contentLength: parts.reduce((sum, part) => sum + part.length, 0)
  })
