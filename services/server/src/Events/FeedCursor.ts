/**
 * Where a reader of the global feed is, so that it never misses an event committed after it read
 * past that event's position. Positions are drawn before commit, so transactions commit out of
 * position order: a position missing below a visible one (a gap) is either held by a transaction
 * still in progress or lost for good (a rolled-back append).
 *
 * The append takes its transaction id before drawing positions, so the holder of a gap was in
 * progress in the snapshot that saw a later position: the gap is final once every transaction
 * in progress then has ended. The reader delivers in position order up to the first gap it cannot
 * call final, and goes on from there once the transactions it was waiting on have ended.
 */
export interface FeedCursor {
  /** The last position delivered. */
  readonly position: number
  /** Gaps at or below this position are final. */
  readonly final: number
  /** Waiting on a gap: the transactions in progress when it was seen, and the highest position seen then. */
  readonly held: { readonly xids: ReadonlySet<string>; readonly upTo: number } | undefined
}

export interface Snapshot {
  /** Transactions in progress (`pg_current_snapshot()`'s xip list). */
  readonly inProgress: ReadonlySet<string>
}

export const cursorAt = (position: number): FeedCursor => ({ position, final: position, held: undefined })

/** `pg_current_snapshot()` as text: `xmin:xmax:xip,xip,…`. */
export const parseSnapshot = (text: string): Snapshot => {
  const xip = text.split(":")[2] ?? ""
  return { inProgress: new Set(xip === "" ? [] : xip.split(",")) }
}

/** Is the reader waiting on transactions that are still in progress? */
export const isHeld = (cursor: FeedCursor, snapshot: Snapshot) =>
  cursor.held !== undefined && [...cursor.held.xids].some((xid) => snapshot.inProgress.has(xid))

/**
 * The events of a read (positions ascending, all after `cursor.position`) that can be delivered
 * now, in order, and the cursor after them.
 */
export const advance = <E extends { readonly position: number }>(
  cursor: FeedCursor,
  snapshot: Snapshot,
  read: ReadonlyArray<E>
): { readonly deliver: ReadonlyArray<E>; readonly cursor: FeedCursor } => {
  let { final, held, position } = cursor
  if (held !== undefined && !isHeld(cursor, snapshot)) {
    final = Math.max(final, held.upTo)
    held = undefined
  }
  const deliver: Array<E> = []
  for (const event of read) {
    const gapFree = event.position === position + 1 || event.position <= final || snapshot.inProgress.size === 0
    if (!gapFree) {
      held ??= { xids: snapshot.inProgress, upTo: read[read.length - 1]!.position }
      break
    }
    deliver.push(event)
    position = event.position
  }
  return { deliver, cursor: { position, final: Math.max(final, position), held } }
}
