import type { RunAggregate, RunEvent, StateStreamState, StateVersion } from "@tidebase/domain"
import type { Column, Projection, RowWrite } from "../EventStore/Projection.js"
import { rowWrite } from "../EventStore/Projection.js"

const streamColumns: { readonly [K in keyof StateStreamState]: Column } = {
  id: "value",
  runId: "value",
  name: "value",
  targetType: "value",
  targetId: "value",
  currentVersion: "value",
  currentValue: "json",
  metadata: "json",
  createdAt: "value",
  updatedAt: "value"
}

type VersionRow = StateVersion & { readonly stream: string; readonly seq: number }

const versionColumns: { readonly [K in keyof VersionRow]: Column } = {
  id: "value",
  streamId: "value",
  runId: "value",
  stream: "value",
  stepId: "value",
  version: "value",
  value: "json",
  patch: "json",
  label: "value",
  reason: "value",
  importance: "value",
  metadata: "json",
  createdBy: "value",
  createdAt: "value",
  seq: "value"
}

/**
 * `state_streams` holds each stream's head (written where the fold moved it); `state_versions`
 * gets one row per version event, with the run seq of the event that made it.
 */
export const StateProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["state_streams", "state_versions"],
  writes: ({ after, before, events, expectedVersion }) => {
    const writes: Array<RowWrite> = []
    events.forEach((event, i) => {
      if (event._tag === "state.updated" || event._tag === "state.saved" || event._tag === "snapshot.created") {
        const row: VersionRow = { ...event.stateVersion, stream: event.stream, seq: expectedVersion + i + 1 }
        writes.push(...rowWrite("state_versions", versionColumns, undefined, row))
      }
    })
    if (writes.length === 0) return writes
    for (const head of after.stateStreams.values()) {
      const previous = before.stateStreams.get(head.name)
      if (previous !== head) writes.push(...rowWrite("state_streams", streamColumns, previous, head))
    }
    return writes
  }
}
