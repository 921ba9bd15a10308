import diagnostics from "node:diagnostics_channel"

const CREATED = "undici:request:create"

/**
 * Counts the requests undici sends from this process to `origin`, through its diagnostics
 * channel: the SDK owns its HTTP client, and this is how the bench learns how many requests
 * a step costs without wrapping it.
 */
export const undiciRequestCounter = (origin: string) => {
  let count = 0
  const onCreate = (message: unknown) => {
    const { request } = message as { readonly request: { readonly origin?: unknown } }
    if (String(request.origin) === origin) count++
  }
  diagnostics.subscribe(CREATED, onCreate)
  return {
    read: () => count,
    close: () => void diagnostics.unsubscribe(CREATED, onCreate)
  }
}
