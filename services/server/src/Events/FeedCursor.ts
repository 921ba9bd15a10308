/**
 * Where a reader of the global feed is, so that it never misses an event committed after it read
 * past that event's position. Positions are drawn before commit, so transactions commit out of
 * position order: a position missing below a visible one (a gap) is either held by a transaction
 * still in progress or lost for good (a rolled-back append).
 *
 * The append takes its transaction id before drawing positions, so the holder of a gap had its id
 * when the reader's snapshot saw a later position, and was running then. Snapshots do not list
 * every running transaction (those past `xmax`, the latest completed id + 1, are left out), so on
 * meeting a gap the reader asks which transactions run (`pg_locks`), and goes past the gap once
 * each of them has ended; until then it delivers nothing beyond it.
 */
export interface FeedCursor {
  /** The last position delivered. */
  readonly position: number
  /** Gaps at or below this position are final. */
  readonly final: number
  /** Waiting on a gap: the transactions running when it was seen, and the highest position seen then. */
  readonly held: { readonly xids: ReadonlyArray<bigint>; readonly upTo: number } | undefined
}

export interface Snapshot {
  /** One past the latest completed transaction id: no id at or past it has ended. */
  readonly xmax: bigint
  /** Transactions below `xmax` still in progress. */
  readonly inProgress: ReadonlySet<bigint>
}

export const cursorAt = (position: number): FeedCursor => ({ position, final: position, held: undefined })

/** `pg_current_snapshot()` as text: `xmin:xmax:xip,xip,…` (64-bit ids). */
export const parseSnapshot = (text: string): Snapshot => {
  const [, xmax = "0", xip = ""] = text.split(":")
  return { xmax: BigInt(xmax), inProgress: new Set(xip === "" ? [] : xip.split(",").map(BigInt)) }
}

const EPOCH = 1n << 32n
const HALF = 1n << 31n

/** A 32-bit id (as `pg_locks` shows it) as the 64-bit id nearest the snapshot's `xmax`. */
export const widenXid = (xid32: string, snapshot: Snapshot): bigint => {
  let xid = (snapshot.xmax / EPOCH) * EPOCH + BigInt(xid32)
  if (xid - snapshot.xmax > HALF) xid -= EPOCH
  else if (snapshot.xmax - xid > HALF) xid += EPOCH
  return xid
}

const hasEnded = (snapshot: Snapshot, xid: bigint) => xid < snapshot.xmax && !snapshot.inProgress.has(xid)

/**
 * The events of a read (positions ascending, all after `cursor.position`) that can be delivered
 * now, in order; the cursor after them; and, when a gap stopped it with nothing yet to wait on,
 * `gapUpTo`: the caller then holds the cursor on the transactions running now (`holdOn`).
 */
export const advance = <E extends { readonly position: number }>(
  cursor: FeedCursor,
  snapshot: Snapshot,
  read: ReadonlyArray<E>
): { readonly deliver: ReadonlyArray<E>; readonly cursor: FeedCursor; readonly gapUpTo: number | undefined } => {
  let { final, held, position } = cursor
  if (held !== undefined && held.xids.every((xid) => hasEnded(snapshot, xid))) {
    final = Math.max(final, held.upTo)
    held = undefined
  }
  const deliver: Array<E> = []
  let gapUpTo: number | undefined
  for (const event of read) {
    if (event.position !== position + 1 && event.position > final) {
      if (held === undefined) gapUpTo = read[read.length - 1]!.position
      break
    }
    deliver.push(event)
    position = event.position
  }
  return { deliver, cursor: { position, final: Math.max(final, position), held }, gapUpTo }
}

export const holdOn = (cursor: FeedCursor, xids: ReadonlyArray<bigint>, upTo: number): FeedCursor => ({ ...cursor, held: { xids, upTo } })
