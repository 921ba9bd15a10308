import * as Domain from "@tidebase/domain"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import type { AggregateKind } from "../EventStore/Aggregate.js"

/** A run's stream: category `run`, keyed by the run id. */
export const RunKind: AggregateKind<RunAggregate, RunEvent> = {
  category: "run",
  empty: Domain.emptyAggregate,
  evolve: Domain.evolve,
  toStored: Domain.toStored,
  fromStored: Domain.fromStored,
  occurredAt: (event) => event.at
}
