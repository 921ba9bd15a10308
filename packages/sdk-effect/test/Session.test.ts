import { expect } from "@effect/vitest"
import { Session, Tidebase } from "@tidebase/effect"
import { Effect, Layer } from "effect"
import { serverSuite, TestServer } from "../../../test/TestServer.js"

const TidebaseTest = Layer.unwrapEffect(Effect.map(TestServer, ({ url }) => Tidebase.layer({ url })))
const newRunId = () => `effect-session-${crypto.randomUUID()}`

serverSuite("@tidebase/effect sessions", (it) => it.layer(TidebaseTest)((it) => {
  it.effect("a session's completed step is not run again when the run is attached again; writes after complete fail with SessionClosed", () =>
    Effect.gen(function*() {
      const runId = newRunId()
      let executions = 0
      const turn = Effect.sync(() => (executions++, "hello"))
      yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* Session.attach("chat", { runId, input: { user: "ana" } })
        expect(yield* session.step("greet", turn)).toBe("hello")
        yield* session.fail(new Error("tab closed"))
      }))
      const tide = yield* Tidebase
      yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* Session.attach("chat", { runId })
        expect(session.input).toEqual({ user: "ana" })
        expect(yield* session.step("greet", turn)).toBe("hello")
        const gate = yield* session.gate("send", "Send it?")
        expect(gate.status).toBe("pending")
        yield* session.complete({ turns: 1 })
        const late = yield* Effect.flip(session.step("late", turn))
        expect(late).toMatchObject({ _tag: "SessionClosed", reason: "completed" })
        expect(yield* session.isOpen).toBe(false)
      }))
      expect(executions).toBe(1)
      expect((yield* tide.runs.get(runId)).run).toMatchObject({ status: "completed", result: { turns: 1 } })
    }))
}))
