import type { State, StateVersion } from "@tidebase/api"
import * as Domain from "@tidebase/domain"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import { Effect, Either } from "effect"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"

type Input<C> = Omit<C, "now">

const stateOf = (after: RunAggregate, stream: string): State => {
  const head = after.stateStreams.get(stream)!
  return { runId: head.runId, value: head.currentValue, version: head.currentVersion, updatedAt: head.updatedAt, stream }
}

/** The version a save or snapshot appended, as the wire shows it. */
const versionOf = (events: ReadonlyArray<RunEvent>): StateVersion => {
  const event = events[0] as Domain.StateSaved | Domain.SnapshotCreated
  return { ...event.stateVersion, stream: event.stream }
}

/**
 * State writes decide on the head of the one stream they write, read with the run: the next
 * version is one past it, and a concurrent writer's win (the run stream's expected version)
 * makes the loser decide again on the new head, so versions never skip or repeat.
 */
export class StateCommands extends Effect.Service<StateCommands>()("Tidebase/StateCommands", {
  effect: Effect.gen(function*() {
    const { existing } = yield* RunCommandRunner

    const write = (cmd: Input<Domain.WriteState>) => {
      const stream = cmd.stream ?? Domain.runStream(cmd.runId)
      return existing(cmd.runId, { stateStream: stream }, (state, now) =>
        Either.map(Domain.decideWriteState(state, { ...cmd, now }), (events) => decided(events, (after) => stateOf(after, stream))))
    }

    const save = (cmd: Input<Domain.SaveState>) =>
      existing(cmd.runId, { stateStream: cmd.stream ?? Domain.runStream(cmd.runId) }, (state, now) =>
        Either.map(Domain.decideSaveState(state, { ...cmd, now }), (events) => decided(events, () => versionOf(events))))

    const snapshot = (cmd: Input<Domain.CreateSnapshot>) =>
      existing(cmd.runId, { stateStream: Domain.snapshotStream(cmd) }, (state, now) =>
        Either.map(Domain.decideSnapshot(state, { ...cmd, now }), (events) => decided(events, () => versionOf(events))))

    return { write, save, snapshot } as const
  }),
  dependencies: [RunCommandRunner.Default]
}) {}
