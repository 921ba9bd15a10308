import type { RunEvent } from "./Events.js"
import type { StateVersion, Usage } from "./Records.js"
import type { RunAggregate } from "./Run.js"
import { evolve } from "./Evolve.js"
import { emptyAggregate } from "./Run.js"

/** A run's history as of one event: the aggregate folded by `evolve`, with the ledgers the aggregate keeps only heads of. */
export interface RunReplay {
  readonly aggregate: RunAggregate
  /** Every state version written so far, in the order written. */
  readonly stateVersions: ReadonlyArray<StateVersion & { readonly stream: string }>
  /** Every usage record so far, in the order recorded. */
  readonly usage: ReadonlyArray<Usage>
}

/** Folds a run's events in seq order (the first is seq 1), stopping after `seq` when given. */
export const replayRun = (events: Iterable<RunEvent>, seq?: number): RunReplay => {
  let aggregate = emptyAggregate
  const stateVersions: Array<StateVersion & { readonly stream: string }> = []
  const usage: Array<Usage> = []
  for (const event of events) {
    if (seq !== undefined && aggregate.version >= seq) break
    aggregate = evolve(aggregate, event)
    switch (event._tag) {
      case "state.updated":
      case "state.saved":
      case "snapshot.created":
        stateVersions.push({ ...event.stateVersion, stream: event.stream })
        break
      case "usage.recorded":
        usage.push(event.usage)
        break
    }
  }
  return { aggregate, stateVersions, usage }
}
