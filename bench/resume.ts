import type { Tidebase } from "@tidebase/sdk"

class StopAfterReplay extends Error {}

/** Thrown when building a long run outlasts its bound; the steps done so far stay checkpointed. */
export class BuildTooSlow extends Error {}

/**
 * A run of `steps` trivial steps that fails once its last step is checkpointed, so every later
 * invocation resumes it: the first call executes (builds) the steps, the next ones replay them.
 * A build still under way at `deadline` (a performance.now() time) is abandoned.
 */
export const resumable = (tide: Tidebase, runId: string, steps: number, deadline = Number.POSITIVE_INFINITY) => () =>
  tide.run("bench-resume", { runId }, async (run) => {
    for (let i = 0; i < steps; i++) {
      if (performance.now() > deadline) throw new BuildTooSlow(`gave up building run ${runId} after ${i} of ${steps} steps`)
      await run.step(`step-${i}`, { input: { i } }, () => ({ i, ok: true }))
    }
    if (run.replayed.length !== steps && run.executed.length !== steps) {
      throw new Error(`expected ${steps} steps replayed, got ${run.replayed.length}`)
    }
    throw new StopAfterReplay()
  }).catch((error) => {
    if (!(error instanceof StopAfterReplay)) throw error
  })
