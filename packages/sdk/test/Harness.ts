import { Tidebase } from "@tidebase/sdk"
import { Effect } from "effect"
import { startProxy } from "../../../test/Proxy.js"
import type { Proxy } from "../../../test/Proxy.js"
import { TestServer } from "../../../test/TestServer.js"

/** A promise-SDK client against the suite's real server, closed after `body`. */
export const withTide = (body: (tide: Tidebase, url: string) => Promise<void>) =>
  Effect.flatMap(TestServer, ({ url }) =>
    Effect.promise(async () => {
      const tide = new Tidebase({ url })
      try {
        await body(tide, url)
      } finally {
        await tide.close()
      }
    }))

export const newRunId = (prefix = "sdk") => `${prefix}-${crypto.randomUUID()}`

export class Crash extends Error {
  override readonly name = "Crash"
}

/** Runs `fn`, expecting it to reject, and returns what it rejected with. */
export const rejection = async (fn: () => Promise<unknown>): Promise<unknown> => {
  try {
    await fn()
  } catch (error) {
    return error
  }
  throw new Error("expected a rejection")
}

export const eventsOfType = (events: ReadonlyArray<{ readonly type: string; readonly payload: unknown }>, type: string) =>
  events.filter((e) => e.type === type).map((e) => e.payload as Record<string, any>)

/** A client through a proxy that can drop answers, and one straight to the server for checking. */
export const throughProxy = (body: (tide: Tidebase, proxy: Proxy, direct: Tidebase, url: string) => Promise<void>) =>
  Effect.flatMap(TestServer, ({ url }) =>
    Effect.promise(async () => {
      const proxy = await startProxy(url)
      const tide = new Tidebase({ url: proxy.url })
      const direct = new Tidebase({ url })
      try {
        await body(tide, proxy, direct, url)
      } finally {
        await Promise.all([tide.close(), direct.close()])
        await proxy.close()
      }
    }))
