import type { RunAggregate, RunEvent, StepState } from "@tidebase/domain"
import type { Column, Projection } from "../EventStore/Projection.js"
import { rowWrite } from "../EventStore/Projection.js"

const columns: { readonly [K in keyof StepState]: Column } = {
  id: "value",
  runId: "value",
  name: "value",
  seq: "value",
  inputHash: "value",
  input: "json",
  options: "json",
  resumeContract: "json",
  status: "value",
  output: "json",
  error: "json",
  resumeDecision: "value",
  leaseOwner: "value",
  leaseExpiresAt: "value",
  attempt: "value",
  runEpoch: "value",
  resolution: "value",
  resolvedBy: "value",
  resolutionReason: "value",
  resolvedAt: "value",
  startedAt: "value",
  completedAt: "value",
  createdAt: "value",
  updatedAt: "value"
}

/** The `steps` read model: a new step's whole row, then only what each event changed (complete never resends the input). */
export const StepProjection: Projection<RunAggregate, RunEvent> = {
  tables: ["steps"],
  writes: ({ after, before }) => {
    const writes = []
    for (const step of after.steps.values()) {
      const previous = before.steps.get(step.name)
      if (previous !== step) writes.push(...rowWrite("steps", columns, previous, step))
    }
    return writes
  }
}
