import * as Domain from "@tidebase/domain"
import type { RunAggregate, RunEvent } from "@tidebase/domain"
import { Effect, Either } from "effect"
import pg from "pg"
import { AggregatesLive } from "../services/server/src/Aggregates.js"
import { fold } from "../services/server/src/EventStore/Aggregate.js"
import { appendStatement } from "../services/server/src/EventStore/AppendStatement.js"
import { Aggregates } from "../services/server/src/EventStore/Registry.js"
import { RunKind } from "../services/server/src/Runs/RunKind.js"
import { measureThroughput } from "./harness.js"
import { rawFigures } from "./raw.js"
import type { Section } from "./section.js"

export const appendFloorFigures = { checkpoint1: "append.checkpoint.1" } as const

const runProjections = Effect.runSync(Effect.provide(Aggregates, AggregatesLive)).find((k) => k.kind.category === "run")!.projections

const rightOf = <A, E>(either: Either.Either<A, E>): A => {
  if (Either.isLeft(either)) throw new Error(`the bench's run was refused: ${String(either.left)}`)
  return either.right
}

/**
 * Appends to one run the way the server's command path does: decided by the domain rules on a
 * one-step view of the run (as its run cache gives), written by the server's own append
 * statement and inline projections, one commit each.
 */
const benchRun = async (client: pg.Client) => {
  const runId = `bench_append_${crypto.randomUUID()}`
  const leaseOwner = Domain.newLeaseOwner()
  let state: RunAggregate = Domain.emptyAggregate
  const append = async (events: ReadonlyArray<RunEvent>) => {
    const before = Domain.aggregateOf(state.version, state.run)
    const after = fold(RunKind, events, before)
    const change = { kind: RunKind, streamId: runId, expectedVersion: before.version, events, before, after }
    const { name, params, text } = appendStatement([change], runProjections.flatMap((p) => p.writes(change)))
    await client.query({ text, values: params as Array<unknown>, ...(name === undefined ? {} : { name }) })
    state = after
  }
  const now = Date.now()
  await append(Domain.decideCreate(state, { runId, workflowName: "bench-append", input: {}, metadata: {}, recoveryWebhook: null, channels: null, now }))
  await append(rightOf(Domain.decideBegin(state, { runId, leaseOwner, leaseMs: 60_000, now })))
  let i = 0
  return {
    checkpoint: () => {
      const outcome = rightOf(Domain.decideRecordStep(state, {
        runId,
        name: `step-${i++}`,
        inputHash: "sha256:bench",
        input: null,
        options: {},
        output: { i, ok: true },
        fence: { leaseOwner, leaseEpoch: state.run!.attempt },
        newStepId: Domain.newStepId(),
        now: Date.now()
      }))
      if (outcome.action !== "recorded") throw new Error(`the bench's step was not recorded: ${outcome.action}`)
      return append(outcome.events)
    }
  }
}

/**
 * What Postgres alone takes for a new step's checkpoint: the statement the server commits for
 * `steps/checkpoint` (its two events, the stream head and the step row), back to back from one
 * connection, with no HTTP and no server in between.
 */
export const appendFloorSection: Section = {
  name: "checkpoint append floor",
  run: async (context) => {
    const client = new pg.Client({ connectionString: context.env.databaseUrl })
    client.on("error", () => {})
    await client.connect()
    try {
      const run = await benchRun(client)
      const throughput = await measureThroughput(1, async () => run, (r) => r.checkpoint(), context.measure)
      return {
        figures: [{ key: appendFloorFigures.checkpoint1, label: "the server's checkpoint append alone (no HTTP)", clients: 1, throughput }]
      }
    } finally {
      await client.end()
    }
  },
  ratios: [
    { label: "checkpoint append alone / raw INSERT, 1 client", numerator: appendFloorFigures.checkpoint1, denominator: rawFigures.insert1 }
  ]
}
