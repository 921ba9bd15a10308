import { aggregateOf } from "@tidebase/domain"
import type { RunAggregate, RunState, StepState } from "@tidebase/domain"
import { Effect } from "effect"

interface Entry {
  version: number
  run: RunState
  readonly steps: Map<string, StepState>
  readonly names: Map<string, string>
  /** Every step of the run is in `steps` (the run was created here, or had none when read). */
  allSteps: boolean
}

export type StepKey = { readonly name: string } | { readonly id: string } | undefined

const MAX_RUNS = 5_000
/** Steps held across all entries (with their inputs and outputs): the memory bound. */
const MAX_STEPS = 50_000

/**
 * Runs this process wrote last, so a step command on them skips the read. Never trusted
 * blindly: the expected-version append refuses a decision made on a stale entry (another
 * replica wrote since), and the command then evicts it and reads afresh; a decision that
 * appends nothing (a refusal, an existing step) is made again on a fresh read. Only what events
 * change is decided from it: a run lease's expiry (renewed by heartbeats, without an event)
 * is always read from the database. Commands see a one-step aggregate, so a fold never copies
 * a long run's steps.
 */
export class RunCache extends Effect.Service<RunCache>()("Tidebase/RunCache", {
  sync: () => {
    const entries = new Map<string, Entry>()
    let held = 0

    const drop = (runId: string) => {
      const entry = entries.get(runId)
      if (entry === undefined) return
      entries.delete(runId)
      held -= entry.steps.size
    }

    /** The aggregate a command on `step` decides on, or undefined when the cache cannot say. */
    const view = (runId: string, step: StepKey): RunAggregate | undefined => {
      const entry = entries.get(runId)
      if (entry === undefined) return undefined
      entries.delete(runId)
      entries.set(runId, entry)
      const steps = new Map<string, StepState>()
      if (step !== undefined) {
        const name = "name" in step ? step.name : entry.names.get(step.id)
        const found = name === undefined ? undefined : entry.steps.get(name)
        if (found !== undefined) steps.set(found.name, found)
        else if (!entry.allSteps) return undefined
      }
      return aggregateOf(entry.version, entry.run, { steps })
    }

    /**
     * After an append that took the run from `before` to `after`. `read` says the state was
     * read from the database (and whether the run had steps then) rather than viewed here.
     */
    const remember = (runId: string, before: RunAggregate, after: RunAggregate, read?: { readonly hasSteps: boolean }) => {
      if (after.run === undefined) return
      let entry = entries.get(runId)
      if (entry === undefined || entry.version !== before.version) {
        if (read === undefined) return drop(runId)
        drop(runId)
        entry = { version: before.version, run: after.run, steps: new Map(), names: new Map(), allSteps: !read.hasSteps }
        entries.set(runId, entry)
      }
      entry.version = after.version
      entry.run = after.run
      for (const step of after.steps.values()) {
        if (!entry.steps.has(step.name)) held++
        entry.steps.set(step.name, step)
        entry.names.set(step.id, step.name)
      }
      for (const [oldest, old] of entries) {
        if (entries.size <= MAX_RUNS && held <= MAX_STEPS) break
        entries.delete(oldest)
        held -= old.steps.size
      }
    }

    return { view, remember, evict: drop } as const
  }
}) {}
