import type { Event, RunReplay, Step } from "@tidebase/api"
import { withLeaseRenewal } from "@tidebase/domain"
import type { LeaseRenewal, RunReplay as DomainReplay, StepState } from "@tidebase/domain"
import { wireRunFromState } from "../Runs/Rows.js"

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The replay with the run's lease as its heartbeats renewed it. */
export const withRenewal = (replay: DomainReplay, renewal: LeaseRenewal | undefined): DomainReplay =>
  replay.aggregate.run === undefined
    ? replay
    : { ...replay, aggregate: { ...replay.aggregate, run: withLeaseRenewal(replay.aggregate.run, renewal) } }

/** A step as the wire shows it: the fold's step without the run epoch it was started under. */
export const wireStep = ({ runEpoch: _, ...step }: StepState): Step => step

/**
 * A replayed run in `GET /runs/:id`'s shapes and orders (steps by seq, state streams by
 * creation then name, versions by stream then version, gates by creation then id).
 */
export const wireReplay = (replay: DomainReplay, event: Event, latestSeq: number): RunReplay => {
  const { aggregate } = replay
  const run = aggregate.run!
  const streams = [...aggregate.stateStreams.values()].sort((a, b) => byText(a.createdAt, b.createdAt) || byText(a.name, b.name))
  const own = aggregate.stateStreams.get(`run:${run.id}`)
  return {
    seq: aggregate.version,
    latestSeq,
    event,
    run: wireRunFromState(run),
    steps: [...aggregate.steps.values()].sort((a, b) => a.seq - b.seq).map(wireStep),
    state: own === undefined
      ? null
      : { runId: own.runId, value: own.currentValue, version: own.currentVersion, updatedAt: own.updatedAt, stream: own.name },
    stateStreams: streams,
    stateVersions: [...replay.stateVersions].sort((a, b) => byText(a.stream, b.stream) || a.version - b.version),
    gates: [...aggregate.gates.values()].sort((a, b) => byText(a.createdAt, b.createdAt) || byText(a.id, b.id)),
    usage: replay.usage,
    runEdges: [...aggregate.edges.values()].sort((a, b) => byText(a.createdAt, b.createdAt) || byText(a.id, b.id))
  }
}
