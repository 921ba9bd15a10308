import type { RunAggregate, RunEdge, RunEvent } from "@tidebase/domain"
import type { Column, Projection, RowWrite } from "../EventStore/Projection.js"
import { rowWrite } from "../EventStore/Projection.js"

const columns: { readonly [K in keyof RunEdge]: Column } = {
  id: "value",
  parentRunId: "value",
  childRunId: "value",
  name: "value",
  edgeType: "value",
  metadata: "json",
  createdAt: "value"
}

/** The `run_edges` read model: an edge is written once, when its parent makes the child. */
export const EdgeProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["run_edges"],
  writes: ({ after, before }) => {
    const writes: Array<RowWrite> = []
    for (const edge of after.edges.values()) {
      if (!before.edges.has(edge.name)) writes.push(...rowWrite("run_edges", columns, undefined, edge))
    }
    return writes
  }
}
