import * as Domain from "@tidebase/domain"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import type { AggregateKind, StreamChange } from "../EventStore/Aggregate.js"
import { OUTBOX_MOVED } from "../Events/LiveEvents.js"

/** Event types that owe an outbound call, sent by the dispatcher. */
const OUTBOUND = new Set<string>(["recovery.started", "recovery.failed", "delivery.queued", "delivery.failed"])

/** What a queue's claimers wait on: a run of it became claimable, or left `running` (a slot freed). */
export const queueMoved = (queue: string) => ({ category: "queue", streamId: queue })

const wakes = ({ after, before, events }: StreamChange<RunAggregate, RunEvent>) => {
  const woken: Array<{ readonly category: string; readonly streamId: string }> = []
  if (events.some((e) => OUTBOUND.has(e._tag))) woken.push(OUTBOX_MOVED)
  const run = after.run
  if (run?.queue != null && run.status !== before.run?.status && run.status !== "running") woken.push(queueMoved(run.queue))
  return woken
}

/** A run's stream: category `run`, keyed by the run id. */
export const RunKind: AggregateKind<RunAggregate, RunEvent> = {
  category: "run",
  empty: Domain.emptyAggregate,
  evolve: Domain.evolve,
  toStored: Domain.toStored,
  fromStored: Domain.fromStored,
  occurredAt: (event) => event.at,
  wakes
}
