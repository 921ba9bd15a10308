import { describe, expect, it } from "@effect/vitest"
import { finalFailureDecision, normaliseResumeContract, statusForDecision } from "../src/index.js"

const decide = (options: unknown) => finalFailureDecision(normaliseResumeContract(options))

describe("the replay contract", () => {
  it("a step with no side effects fails as safe_replay", () => {
    expect(decide({})).toBe("safe_replay")
    expect(decide({ sideEffects: ["read"] })).toBe("safe_replay")
  })

  it("an external write without an idempotency key parks in manual_review", () => {
    expect(decide({ sideEffects: ["email"] })).toBe("manual_review")
    expect(statusForDecision("manual_review")).toBe("manual_review")
  })

  it("an external write with an idempotency key is safe to replay", () => {
    expect(decide({ sideEffects: ["payments"], idempotencyKey: "charge-1" })).toBe("safe_replay")
  })

  it("replay manual always needs review and replay never fails hard", () => {
    expect(decide({ replay: "manual" })).toBe("manual_review")
    expect(decide({ replay: "never", sideEffects: ["email"] })).toBe("fail_hard")
    expect(statusForDecision("fail_hard")).toBe("failed")
  })

  it("retries still left are auto_retry with status failed_retryable", () => {
    expect(statusForDecision("auto_retry")).toBe("failed_retryable")
  })

  it("accepts the Python SDK's snake_case option names", () => {
    expect(normaliseResumeContract({ side_effects: ["ticketing-api"], idempotency_key: "t-1" })).toMatchObject({
      sideEffects: ["ticketing-api"],
      idempotencyKey: "t-1"
    })
  })
})
