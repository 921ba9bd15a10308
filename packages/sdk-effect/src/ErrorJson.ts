/** How an error is stored on a step or run: JSON the Studio can show, whatever was thrown. */
export const errorJson = (error: unknown): unknown => {
  if (error instanceof Error) {
    const tag = (error as { readonly _tag?: unknown })._tag
    return { name: error.name, message: error.message, ...(typeof tag === "string" ? { tag } : {}) }
  }
  try {
    JSON.stringify(error)
    return error
  } catch {
    return String(error)
  }
}
