import { Effect } from "effect"
import type { Context } from "effect"
import { releaseLease } from "./RunLease.js"
import type { RunLease } from "./RunLease.js"
import type { TidebaseClient } from "./TidebaseClient.js"

type Client = Context.Tag.Service<TidebaseClient>

const SIGNALS = ["SIGINT", "SIGTERM"] as const
type Signal = typeof SIGNALS[number]

/** Leases held by workflows running in this process, released when it is told to stop. */
const active = new Set<{ readonly client: Client; readonly lease: RunLease }>()

const signals = () => {
  const process = (globalThis as { process?: NodeJS.Process }).process
  return typeof process?.on === "function" && typeof process.kill === "function" ? process : undefined
}

/**
 * Releases every active lease, then lets the signal take its usual course: when nothing else
 * listens for it, it is raised again with the default action (the process ends by the signal,
 * as it would have without us); when the app listens itself, what happens next is its call.
 */
const onSignal = (signal: Signal) => {
  const process = signals()!
  uninstall()
  const releasing = [...active].map(({ client, lease }) => Effect.runPromise(releaseLease(client, lease)))
  void Promise.allSettled(releasing).then(() => {
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  })
}

const handlers = new Map<Signal, () => void>()

const install = () => {
  const process = signals()
  if (process === undefined || handlers.size > 0) return
  for (const signal of SIGNALS) {
    const handler = () => onSignal(signal)
    handlers.set(signal, handler)
    process.on(signal, handler)
  }
}

const uninstall = () => {
  const process = signals()
  for (const [signal, handler] of handlers) process?.off(signal, handler)
  handlers.clear()
}

/**
 * While `effect` runs, SIGINT/SIGTERM first release the run's lease (for a second at most),
 * so Ctrl-C then an immediate re-run resumes at once. Outside Node it is `effect` unchanged.
 */
export const releasedOnSignal = (client: Client, lease: RunLease) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const entry = { client, lease }
      active.add(entry)
      install()
      return entry
    }),
    () => effect,
    (entry) =>
      Effect.sync(() => {
        active.delete(entry)
        if (active.size === 0) uninstall()
      })
  )
