/**
 * What the server refuses in any JSON body, with a 400 naming the field: Postgres cannot
 * store a NUL character or a lone UTF-16 surrogate, JSON has no Infinity (a literal like
 * `1e400` parses to it), and nesting deeper than this overflows the stack of whatever walks it.
 */
export const MAX_JSON_DEPTH = 512

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export const UNSTORABLE_TEXT = "contains text Postgres cannot store (a NUL character or a lone UTF-16 surrogate)"

export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text)

export interface JsonIssue {
  readonly path: ReadonlyArray<string>
  readonly message: string
}

/** The first part of a parsed JSON body the server would refuse, with its path; undefined when none. */
export const jsonRefusal = (value: unknown): JsonIssue | undefined => {
  const path: Array<string> = []
  const refuse = (message: string, key?: string): JsonIssue => ({
    path: key === undefined ? [...path] : [...path, key],
    message
  })
  const visit = (v: unknown, depth: number): JsonIssue | undefined => {
    switch (typeof v) {
      case "string":
        return isStorableText(v) ? undefined : refuse(UNSTORABLE_TEXT)
      case "number":
        return Number.isFinite(v) ? undefined : refuse("is not a finite number")
      case "object": {
        if (v === null) return undefined
        if (depth >= MAX_JSON_DEPTH) return refuse(`nests deeper than ${MAX_JSON_DEPTH} levels`)
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            path.push(String(i))
            const issue = visit(v[i], depth + 1)
            path.pop()
            if (issue !== undefined) return issue
          }
          return undefined
        }
        for (const key in v) {
          if (!isStorableText(key)) return refuse(`key ${UNSTORABLE_TEXT}`, key.replace(/[\u0000\uD800-\uDFFF]/g, "\uFFFD"))
          path.push(key)
          const issue = visit((v as Record<string, unknown>)[key], depth + 1)
          path.pop()
          if (issue !== undefined) return issue
        }
        return undefined
      }
      default:
        return undefined
    }
  }
  return visit(value, 0)
}
