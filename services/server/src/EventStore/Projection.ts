import type { StreamChange } from "./Aggregate.js"

/**
 * A row an inline projection writes: a whole row (inserted, or replacing the row with the
 * same key), or only the columns that changed. Keys are camelCase field names.
 */
export type RowWrite =
  | { readonly _tag: "Upsert"; readonly table: string; readonly key: string; readonly row: Readonly<Record<string, unknown>> }
  | {
    readonly _tag: "Update"
    readonly table: string
    readonly key: string
    readonly id: unknown
    readonly set: Readonly<Record<string, unknown>>
  }

/**
 * An inline read model. Its writes for a change run inside the append's own statement, so
 * anything a later decision reads is consistent with the events at no extra round trip;
 * `tables` are what a rebuild truncates and refolds.
 */
export interface Projection<S, E> {
  readonly tables: ReadonlyArray<string>
  readonly writes: (change: StreamChange<S, E>) => ReadonlyArray<RowWrite>
}

/** How a field is stored: as is, or as JSON text for a jsonb column (absent or null is SQL NULL). */
export type Column = "value" | "json"

const encode = (column: Column, value: unknown) =>
  column === "value" ? value ?? null : value === undefined || value === null ? null : JSON.stringify(value)

/**
 * The write that takes a row from `before` to `after`: all of it for a new row, otherwise only
 * the fields whose value changed (by identity: unchanged blobs are never sent again).
 */
export const rowWrite = <A extends object>(
  table: string,
  columns: { readonly [K in keyof A]?: Column },
  before: A | undefined,
  after: A,
  extra: Readonly<Record<string, unknown>> = {}
): ReadonlyArray<RowWrite> => {
  const fields = Object.keys(columns) as Array<keyof A & string>
  if (before === undefined) {
    const row: Record<string, unknown> = { ...extra }
    for (const field of fields) row[field] = encode(columns[field]!, after[field])
    return [{ _tag: "Upsert", table, key: "id", row }]
  }
  const set: Record<string, unknown> = {}
  let changed = false
  for (const field of fields) {
    if (before[field] !== after[field]) {
      set[field] = encode(columns[field]!, after[field])
      changed = true
    }
  }
  return changed ? [{ _tag: "Update", table, key: "id", id: (after as { id?: unknown }).id, set }] : []
}

/** The writes for one of the aggregate's maps of rows: each row that is new or changed (by identity). */
export const changedRows = <A extends object>(
  table: string,
  columns: { readonly [K in keyof A]?: Column },
  before: ReadonlyMap<string, A>,
  after: ReadonlyMap<string, A>,
  keyOf: (row: A) => string
): ReadonlyArray<RowWrite> => {
  const writes: Array<RowWrite> = []
  for (const row of after.values()) {
    const previous = before.get(keyOf(row))
    if (previous !== row) writes.push(...rowWrite(table, columns, previous, row))
  }
  return writes
}
