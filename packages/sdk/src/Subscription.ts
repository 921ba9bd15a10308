import type { Event } from "@tidebase/api"
import { Effect, Fiber, Stream } from "effect"
import type { ManagedRuntime } from "effect"

/** A live subscription: iterate it (`for await`), or let `onEvent` take each event; `close()` ends it. */
export interface EventSubscription extends AsyncIterable<Event> {
  close(): void
}

/**
 * Runs `events` in the background into a buffer that `for await` drains in order. Closing (or
 * breaking out of the loop) interrupts the stream and ends the iteration.
 */
export const subscription = <R, ER>(runtime: ManagedRuntime.ManagedRuntime<R, ER>, events: Stream.Stream<Event, unknown, R>): EventSubscription => {
  const buffer: Array<Event> = []
  let wake: (() => void) | undefined
  let closed = false
  const notify = () => {
    wake?.()
    wake = undefined
  }
  const fiber = runtime.runFork(Stream.runForEach(events, (event) => Effect.sync(() => {
    buffer.push(event)
    notify()
  })))
  const close = () => {
    if (closed) return
    closed = true
    runtime.runFork(Fiber.interrupt(fiber))
    notify()
  }
  return {
    close,
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<Event>> => {
        while (buffer.length === 0 && !closed) await new Promise<void>((resolve) => { wake = resolve })
        const event = buffer.shift()
        return event === undefined ? { done: true, value: undefined } : { done: false, value: event }
      },
      return: async (): Promise<IteratorResult<Event>> => {
        close()
        return { done: true, value: undefined }
      }
    })
  }
}
