import { MAX_JSON_DEPTH } from "@tidebase/api"

/** Where a value stops being JSON that reads back as itself, and what sits there. */
export interface UnfaithfulJson {
  /** `$` for the value itself, then `.key`, `["odd key"]` and `[index]`, e.g. `$.items[2].id`. */
  readonly path: string
  /** What was found there, with the fix: "a BigInt (12n): convert it to a string or a number". */
  readonly found: string
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** The server refuses bodies nested deeper than MAX_JSON_DEPTH, and an output sits one level inside its body. */
const MAX_DEPTH = MAX_JSON_DEPTH - 1

const renderPath = (keys: ReadonlyArray<string | number>, length = keys.length) => {
  let path = "$"
  for (let i = 0; i < length; i++) {
    const key = keys[i]!
    path += typeof key === "number" ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
  }
  return path
}

/** Objects whose JSON form loses what they are; a Date is not one (it is documented to come back as its ISO string). */
const unfaithfulObject = (value: object): string | undefined => {
  const prototype = Object.getPrototypeOf(value)
  if (prototype === Object.prototype || prototype === null) return undefined
  if (value instanceof Map) return "a Map: use a plain object (Object.fromEntries(map)) or an array of entries"
  if (value instanceof Set) return "a Set: use an array ([...set])"
  if (value instanceof WeakMap || value instanceof WeakSet) return "a WeakMap or WeakSet, which has no JSON form"
  if (typeof (value as { then?: unknown }).then === "function") return "a Promise: await it inside the step"
  if (value instanceof RegExp) return "a RegExp: store its source as a string"
  if (value instanceof Error) return "an Error, whose JSON keeps neither name nor message: store { name, message }"
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return "binary data: encode it (e.g. base64) as a string"
  return undefined
}

/** The walk's position: the keys from the root, and the objects on that path (index = depth). */
interface Walk {
  readonly keys: Array<string | number>
  readonly ancestors: Array<object>
}

const visit = (walk: Walk, v: unknown, depth: number): string | undefined => {
  switch (typeof v) {
    case "string":
    case "boolean":
      return undefined
    case "number":
      return Number.isFinite(v) ? undefined : `${v}, which JSON stores as null: store a finite number, null or a string`
    case "bigint":
      return `a BigInt (${v}n): convert it to a string or a number`
    case "undefined":
      return depth === 0 ? "undefined, which JSON cannot store: return null or a value" : undefined
    case "function":
      return "a function, which JSON drops"
    case "symbol":
      return "a symbol, which JSON drops"
  }
  if (v === null) return undefined
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "an invalid Date, which JSON stores as null" : undefined
  const toJSON = (v as { readonly toJSON?: unknown }).toJSON
  if (typeof toJSON !== "function") return visitObject(walk, v as object, depth)
  // Like JSON.stringify: what toJSON returns stands in its place, and is not asked for toJSON again.
  const json: unknown = toJSON.call(v, String(walk.keys.at(-1) ?? ""))
  return typeof json === "object" && json !== null ? visitObject(walk, json, depth) : visit(walk, json, depth)
}

const visitObject = (walk: Walk, object: object, depth: number): string | undefined => {
  const { ancestors, keys } = walk
  if (depth >= MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels, more than the server takes`
  // A value shared by two branches is fine; one inside itself is a cycle.
  const seenAt = ancestors.indexOf(object)
  if (seenAt !== -1) return `a cycle back to ${renderPath(keys, seenAt)}`
  if (Array.isArray(object)) {
    ancestors.push(object)
    for (let i = 0; i < object.length; i++) {
      keys.push(i)
      // JSON writes undefined in an array as null; only the kinds listed above are refused.
      const found = object[i] === undefined ? undefined : visit(walk, object[i], depth + 1)
      if (found !== undefined) return found
      keys.pop()
    }
    ancestors.pop()
    return undefined
  }
  const kind = unfaithfulObject(object)
  if (kind !== undefined) return kind
  ancestors.push(object)
  for (const key of Object.keys(object)) {
    keys.push(key)
    const found = visit(walk, (object as Record<string, unknown>)[key], depth + 1)
    if (found !== undefined) return found
    keys.pop()
  }
  ancestors.pop()
  return undefined
}

/**
 * The first place where `JSON.stringify` would drop, change or refuse part of `value`
 * (BigInt, Map, Set, a function, a symbol, a cycle, `undefined` at the top, NaN or ±Infinity,
 * nesting deeper than the server takes), in one walk that builds nothing unless it finds one.
 */
export const findUnfaithfulJson = (value: unknown): UnfaithfulJson | undefined => {
  if (typeof value === "string" || typeof value === "boolean" || value === null) return undefined
  const walk: Walk = { keys: [], ancestors: [] }
  const found = visit(walk, value, 0)
  return found === undefined ? undefined : { path: renderPath(walk.keys), found }
}

/**
 * A deep copy of a parsed JSON value (plain objects, arrays, primitives): cheaper than
 * `structuredClone` for the small objects checkpoints usually are, and strings are shared.
 */
export const copyJson = <A>(value: A): A => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) {
    const copy = new Array(value.length)
    for (let i = 0; i < value.length; i++) copy[i] = copyJson(value[i])
    return copy as A
  }
  const copy: Record<string, unknown> = {}
  for (const key in value) {
    const item = copyJson((value as Record<string, unknown>)[key])
    // JSON.parse makes "__proto__" an own key; assigning it would set the copy's prototype instead.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true })
    else copy[key] = item
  }
  return copy as A
}
