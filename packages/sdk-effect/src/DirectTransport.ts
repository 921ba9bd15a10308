import { Context } from "effect"

/** An answer as the direct transport read it: its status, and its body parsed as JSON (undefined when it is not JSON). */
export interface DirectAnswer {
  readonly status: number
  readonly body: unknown
}

/**
 * JSON requests without the generic `HttpClient` machinery, for the requests every step and run
 * makes and the checkpoints read of every resume. An `HttpClient` layer that also provides it
 * (the promise SDK's undici client does) lets `TidebaseClient` send them through it; an answer
 * it cannot take as the endpoint's goes through the api client instead (see `DirectCalls.ts`).
 */
export class DirectTransport extends Context.Tag("@tidebase/effect/DirectTransport")<DirectTransport, {
  /** Rejects when no answer came (refused, reset, timed out). `origin` is the server's (`http://host:port`), `path` absolute. */
  readonly postJson: (origin: string, path: string, headers: Readonly<Record<string, string>>, body: string) => Promise<DirectAnswer>
  readonly getJson: (origin: string, path: string, headers: Readonly<Record<string, string>>) => Promise<DirectAnswer>
}>() {}
