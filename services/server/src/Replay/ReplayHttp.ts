import { HttpApiBuilder } from "@effect/platform"
import * as Api from "@tidebase/api"
import { newRunId } from "@tidebase/domain"
import { Effect, Option } from "effect"
import { wireRunFromState } from "../Runs/Rows.js"
import { ForkCommands } from "./ForkCommands.js"
import { ReplayQueries } from "./ReplayQueries.js"
import { wireStep } from "./ReplayWire.js"

export const ReplayHttp = HttpApiBuilder.group(Api.TidebaseApi, "replay", (handlers) =>
  Effect.gen(function*() {
    const queries = yield* ReplayQueries
    const forks = yield* ForkCommands
    return handlers
      .handle("replay", ({ path, urlParams }) =>
        queries.replay(path.runId, urlParams.seq).pipe(
          Effect.catchTag("SeqOutOfRange", ({ latestSeq }) =>
            Effect.fail(Api.BadRequest.fromIssues([{ path: ["seq"], message: `the run's events are 1..${latestSeq}` }]))),
          Effect.flatMap(Option.match({ onNone: () => Effect.fail(Api.RunNotFound.of(path.runId)), onSome: Effect.succeed }))
        ))
      .handle("fork", ({ path, payload }) =>
        forks.fork({
          sourceRunId: path.runId,
          runId: payload.runId ?? newRunId(),
          atSeq: payload.atSeq,
          afterStep: payload.afterStep,
          input: payload.input,
          workflowName: payload.workflowName,
          stepOutputs: payload.stepOutputs
        }).pipe(
          Effect.catchTag("ForkRefused", ({ field, message }) => Effect.fail(Api.BadRequest.fromIssues([{ path: field, message }]))),
          Effect.catchTags({
            RunNotFound: (e) => Effect.fail(Api.RunNotFound.of(e.runId)),
            ChildRunIdTaken: (e) => Effect.fail(Api.ChildRunIdTaken.of(e.runId))
          }),
          Effect.map(({ aggregate, forkedAtSeq }) => ({
            run: wireRunFromState(aggregate.run!),
            forkedAtSeq,
            steps: [...aggregate.steps.values()].sort((a, b) => a.seq - b.seq).map(wireStep)
          }))
        ))
  })
)
