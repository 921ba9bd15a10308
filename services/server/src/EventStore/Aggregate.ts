/**
 * A kind of stream (`run`, `queue`, `schedule`, …): its category, how its events are stored
 * and read back (upcasting renamed types), and how they fold into its state.
 */
export interface AggregateKind<S, E> {
  readonly category: string
  readonly empty: S
  readonly evolve: (state: S, event: E) => S
  readonly toStored: (event: E) => { readonly type: string; readonly payload: unknown }
  readonly fromStored: (type: string, payload: unknown) => E
  /** When the event happened: the stored row's `created_at`. */
  readonly occurredAt: (event: E) => string
  /**
   * Who else an append of this kind wakes, besides the stream's own readers: the dispatcher when
   * it owes calls, a queue's claimers when one of its runs became claimable or freed a slot.
   */
  readonly wakes?: (change: StreamChange<S, E>) => ReadonlyArray<{ readonly category: string; readonly streamId: string }>
}

/** What one append does to one stream: its events, after `expectedVersion`, and the state before and after them. */
export interface StreamChange<S, E> {
  readonly kind: AggregateKind<S, E>
  readonly streamId: string
  readonly expectedVersion: number
  readonly events: ReadonlyArray<E>
  readonly before: S
  readonly after: S
}

export type AnyStreamChange = StreamChange<any, any>

export const fold = <S, E>(kind: AggregateKind<S, E>, events: Iterable<E>, from: S = kind.empty): S => {
  let state = from
  for (const event of events) state = kind.evolve(state, event)
  return state
}
