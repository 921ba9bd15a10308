import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import * as D from "../src/index.js"

const T0 = Date.parse("2026-01-01T00:00:00Z")
const owners = ["w1", "w2", "w3"] as const
const names = ["plan", "fetch", "write"] as const

type Command =
  | { readonly kind: "begin"; readonly owner: string }
  | { readonly kind: "complete"; readonly owner: string | undefined }
  | { readonly kind: "fail"; readonly owner: string | undefined }
  | { readonly kind: "beginStep"; readonly name: string; readonly hash: string; readonly owner: string | undefined }
  | { readonly kind: "completeStep"; readonly name: string; readonly owner: string }
  | { readonly kind: "failStep"; readonly name: string; readonly owner: string; readonly retryable: boolean }

const owner = fc.constantFrom(...owners)
const maybeOwner = fc.option(owner, { nil: undefined })
const name = fc.constantFrom(...names)
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant("begin" as const), owner }),
  fc.record({ kind: fc.constant("complete" as const), owner: maybeOwner }),
  fc.record({ kind: fc.constant("fail" as const), owner: maybeOwner }),
  fc.record({ kind: fc.constant("beginStep" as const), name, hash: fc.constantFrom("h1", "h2"), owner: maybeOwner }),
  fc.record({ kind: fc.constant("completeStep" as const), name, owner }),
  fc.record({ kind: fc.constant("failStep" as const), name, owner, retryable: fc.boolean() })
)

const decide = (state: D.RunAggregate, cmd: Command, now: number, n: number): ReadonlyArray<D.RunEvent> => {
  const runId = "run_p"
  const stepId = (stepName: string) => state.steps.get(stepName)?.id ?? `missing_${stepName}`
  const events = (() => {
    switch (cmd.kind) {
      case "begin":
        return D.decideBegin(state, { runId, leaseOwner: cmd.owner, leaseMs: 1000, now })
      case "complete":
        return D.decideComplete(state, { runId, result: n, fence: cmd.owner === undefined ? undefined : { leaseOwner: cmd.owner }, now })
      case "fail":
        return D.decideFail(state, { runId, error: n, failureClass: null, newRecoveryId: `recovery_${n}`, fence: cmd.owner === undefined ? undefined : { leaseOwner: cmd.owner }, now })
      case "beginStep":
        return Either.map(
          D.decideBeginStep(state, {
            runId,
            name: cmd.name,
            inputHash: cmd.hash,
            input: null,
            options: {},
            fence: cmd.owner === undefined ? undefined : { leaseOwner: cmd.owner },
            generatedOwner: `gen${n}`,
            newStepId: `step_${cmd.name}`,
            leaseMs: 1000,
            now
          }),
          (outcome) => (outcome.action === "execute" ? outcome.events : [])
        )
      case "completeStep":
        return D.decideCompleteStep(state, { runId, stepId: stepId(cmd.name), fence: { leaseOwner: cmd.owner }, output: n, now })
      case "failStep":
        return D.decideFailStep(state, {
          runId,
          stepId: stepId(cmd.name),
          fence: { leaseOwner: cmd.owner },
          error: n,
          retryable: cmd.retryable,
          resumeDecision: undefined,
          now
        })
    }
  })()
  return Either.getOrElse(events as Either.Either<ReadonlyArray<D.RunEvent>, unknown>, () => [])
}

const isLive = (expiresAt: string | null, now: number) => expiresAt !== null && Date.parse(expiresAt) > now

describe("folding decided events", () => {
  it("never breaks the run's invariants, whatever the commands and their timing", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(command, fc.integer({ min: 0, max: 1500 })), { maxLength: 60 }), (script) => {
        let now = T0
        let state = D.fold(D.decideCreate(D.emptyAggregate, {
          runId: "run_p",
          workflowName: "wf",
          input: {},
          metadata: {},
          recoveryWebhook: null,
          channels: null,
          now
        }))
        script.forEach(([cmd, dt], n) => {
          now += dt
          const events = decide(state, cmd, now, n)
          const next = D.fold(events, state)
          const before = state.run!
          const after = next.run!

          expect(next.version).toBe(state.version + events.length)
          if (D.isFinal(before.status)) expect(after).toBe(before)
          expect(after.attempt).toBeGreaterThanOrEqual(before.attempt)

          for (const [stepName, step] of state.steps) {
            const later = next.steps.get(stepName)!
            if (step.status === "completed") expect(later).toBe(step)
            expect(later.attempt).toBeGreaterThanOrEqual(step.attempt)
            // A second grant of a step lease only ever follows an expired or released one, or one
            // abandoned by a newer run lease epoch, or goes to the live lease's own owner (WIRE.md:
            // the owner is the unit of exclusion).
            const abandoned = step.runEpoch !== null && step.runEpoch < before.attempt
            if (later.attempt > step.attempt && step.status === "running" && isLive(step.leaseExpiresAt, now) && !abandoned) {
              expect(later.leaseOwner).toBe(step.leaseOwner)
            }
          }
          for (const event of events) {
            if (event._tag === "step.started") expect(before.status).not.toBe("completed")
          }
          state = next
        })
      }),
      { numRuns: 300 }
    )
  })
})
