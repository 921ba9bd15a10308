import { String } from "effect"
import type { PgQuery } from "../Database/PgPool.js"
import type { AnyStreamChange } from "./Aggregate.js"
import type { RowWrite } from "./Projection.js"

/**
 * One statement per append: the events (all streams, one jsonb parameter), every stream head
 * and every projected row write, as data-modifying CTEs. Its text depends only on the shape of
 * the writes (tables and columns), so each shape is a named statement Postgres parses once per
 * connection; the values are parameters.
 *
 * `tx` makes the transaction take its id before the events take their positions (the filter runs
 * first, positions are drawn above the sort): the global feed relies on a transaction that holds a
 * position being in the snapshot of anyone who can see a later one (see `Events/FeedCursor.ts`).
 */
const EVENTS = `with e as (
  select * from jsonb_to_recordset($1::jsonb) as e(c text, s text, q bigint, t text, p jsonb, a timestamptz)
), tx as (
  select pg_current_xact_id() as id
), appended as (
  insert into events (category, stream_id, seq, type, payload, created_at)
  select c, s, q, t, p, a from e, tx where tx.id is not null order by c, s, q
), head as (
  insert into event_streams (category, stream_id, version) select c, s, max(q) from e group by c, s
  on conflict (category, stream_id) do update set version = excluded.version
)`

const column = (() => {
  const names = new Map<string, string>()
  return (field: string) => {
    let name = names.get(field)
    if (name === undefined) names.set(field, name = `"${String.camelToSnake(field)}"`)
    return name
  }
})()

const shapeOf = (write: RowWrite) =>
  write._tag === "Upsert"
    ? `U ${write.table} ${write.key} ${Object.keys(write.row).join(",")}`
    : `W ${write.table} ${write.key} ${Object.keys(write.set).join(",")}`

const writeSql = (write: RowWrite, i: number, next: () => string) => {
  if (write._tag === "Upsert") {
    const fields = Object.keys(write.row)
    const updates = fields.filter((f) => f !== write.key).map((f) => `${column(f)} = excluded.${column(f)}`)
    return `, w${i} as (insert into ${write.table} (${fields.map(column).join(", ")}) values (${fields.map(next).join(", ")})
  on conflict (${column(write.key)}) do ${updates.length === 0 ? "nothing" : `update set ${updates.join(", ")}`})`
  }
  const sets = Object.keys(write.set).map((f) => `${column(f)} = ${next()}`)
  return `, w${i} as (update ${write.table} set ${sets.join(", ")} where ${column(write.key)} = ${next()})`
}

/** One row write as a statement of its own (a rebuild applies them one by one). */
export const rowWriteStatement = (write: RowWrite): { readonly text: string; readonly params: Array<unknown> } => {
  let param = 0
  const sql = writeSql(write, 0, () => `$${++param}`)
  const text = sql.slice(sql.indexOf("(") + 1, sql.lastIndexOf(")"))
  return { text, params: write._tag === "Upsert" ? Object.values(write.row) : [...Object.values(write.set), write.id] }
}

const MAX_NAMED = 1000
const texts = new Map<string, { readonly text: string; readonly name: string | undefined }>()

const textFor = (writes: ReadonlyArray<RowWrite>) => {
  const shape = writes.map(shapeOf).join("\n")
  const known = texts.get(shape)
  if (known !== undefined) return known
  let param = 1
  const next = () => `$${++param}`
  const text = `${EVENTS}${writes.map((w, i) => writeSql(w, i, next)).join("")}\nselect 1`
  if (texts.size >= MAX_NAMED) return { text, name: undefined }
  const entry = { text, name: `tidebase_append_${texts.size}` }
  texts.set(shape, entry)
  return entry
}

export const appendStatement = (changes: ReadonlyArray<AnyStreamChange>, writes: ReadonlyArray<RowWrite>): PgQuery => {
  const rows: Array<unknown> = []
  for (const change of changes) {
    let seq = change.expectedVersion
    for (const event of change.events) {
      const { payload, type } = change.kind.toStored(event)
      rows.push({ c: change.kind.category, s: change.streamId, q: ++seq, t: type, p: payload, a: change.kind.occurredAt(event) })
    }
  }
  const params: Array<unknown> = [JSON.stringify(rows)]
  for (const write of writes) {
    if (write._tag === "Upsert") params.push(...Object.values(write.row))
    else params.push(...Object.values(write.set), write.id)
  }
  const { name, text } = textFor(writes)
  return { text, params, name }
}
