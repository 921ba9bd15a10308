import type * as Api from "@tidebase/api"
import * as Domain from "@tidebase/domain"
import { Effect, Either } from "effect"
import { decided, RunCommandRunner } from "../Runs/RunCommandRunner.js"
import { GateTokens } from "./GateTokens.js"

type Input<C> = Omit<C, "now">

/**
 * Gate commands decide on the one gate they name, read with the run. Racing resolves of one gate
 * are settled by the run stream's expected-version append: the loser decides again, finds the
 * gate decided, and is refused with the first decision.
 */
export class GateCommands extends Effect.Service<GateCommands>()("Tidebase/GateCommands", {
  effect: Effect.gen(function*() {
    const { existing } = yield* RunCommandRunner
    const tokens = yield* GateTokens
    const withToken = (gate: Domain.Gate): Api.Gate => ({ ...gate, resolveToken: tokens.tokenOf(gate.id) })

    const begin = (cmd: Input<Domain.BeginGate>) =>
      existing(cmd.runId, { gate: { name: cmd.name } }, (state, now) =>
        Either.map(Domain.decideBeginGate(state, { ...cmd, now }), (outcome) =>
          decided(outcome.events, (after) =>
            outcome.action === "budget_exceeded"
              ? { action: outcome.action, run: after.run! }
              : { action: outcome.action, gate: withToken(outcome.gate), seq: after.version }))).pipe(
        Effect.flatMap((reply) =>
          "run" in reply ? Effect.fail(new Domain.BudgetExceeded({ run: reply.run })) : Effect.succeed(reply))
      )

    const resolve = (cmd: Omit<Input<Domain.ResolveGate>, "tokenMatches"> & { readonly token: string }) => {
      const { token, ...rest } = cmd
      return existing(cmd.runId, { gate: { id: cmd.gateId } }, (state, now) =>
        Either.map(
          Domain.decideResolveGate(state, { ...rest, tokenMatches: tokens.matches(cmd.gateId, token), now }),
          (events) => decided(events, (after) => withToken(Domain.findGate(after, cmd.gateId)!))
        ))
    }

    /** Resolves the gate with its default decision if its timeout has passed; nothing otherwise (another sweeper got there first). */
    const expire = (runId: string, gateId: string) =>
      existing(runId, { gate: { id: gateId } }, (state, now) =>
        Either.right(decided(Domain.decideExpireGate(state, gateId, now), () => undefined)))

    return { begin, resolve, expire, withToken } as const
  }),
  dependencies: [RunCommandRunner.Default, GateTokens.Default]
}) {}
