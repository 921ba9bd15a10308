import type { Event, Run, RunDetail, RunReplay } from "@tidebase/api"
import { Tidebase } from "@tidebase/effect"
import { Effect, Stream } from "effect"
import { optionOf } from "./Args.js"
import { intOption, printJson, remoteCommand, UsageError } from "./Remote.js"
import { bold, brief, dim, duration, status, table } from "./Render.js"

export const runsUsage = "tidebase runs [--status S] [--workflow NAME] [--queue Q] [--limit N] [--json] [--url URL]"
export const showUsage = "tidebase show <runId> [--json] [--url URL]"
export const replayUsage = "tidebase replay <runId> [--seq N] [--json] [--url URL]"
export const eventsUsage = "tidebase events <runId|all> [--follow] [--after N] [--types a,b] [--json] [--url URL]"

const onlyRunId = (positional: ReadonlyArray<string>) =>
  positional.length === 1 ? Effect.succeed(positional[0]!) : Effect.fail(new UsageError("expected one <runId>"))

const runLine = (run: Run) =>
  `${bold(run.id)}  ${run.workflowName}  ${status(run.status)}  created ${run.createdAt}` +
  (run.failureClass === null ? "" : `  ${run.failureClass}`) +
  (run.cancelReason === null ? "" : `  cancelled: ${run.cancelReason} by ${run.cancelActor ?? "?"}`)

/** The parts `show` and `replay` print: what `GET /runs/:id` and the replay have in common. */
type Summary = Pick<RunDetail, "run" | "steps" | "state" | "usage"> & {
  readonly gates: ReadonlyArray<{ readonly name: string; readonly status: string; readonly actor: string | null }>
  readonly children: ReadonlyArray<readonly [string, string, string]>
}

const summary = (s: Summary): string => {
  const totals = s.run.usageTotals
  const parts = [
    runLine(s.run),
    s.run.error === null ? "" : `error: ${brief(s.run.error, 200)}`,
    s.steps.length === 0 ? dim("no steps") : table(
      ["STEP", "STATUS", "TOOK", "TRIES", "OUTPUT"],
      s.steps.map((step) => [step.name, status(step.status), duration(step.startedAt, step.completedAt), String(step.attempt), step.status === "completed" ? brief(step.output) : brief(step.error)])
    ),
    s.state === null ? "" : `state v${s.state.version}: ${brief(s.state.value, 200)}`,
    s.gates.length === 0 ? "" : table(["GATE", "STATUS", "BY"], s.gates.map((g) => [g.name, status(g.status), g.actor ?? ""])),
    totals.totalTokens === 0 && totals.costUsd === 0 ? "" : `usage: ${totals.inputTokens} in + ${totals.outputTokens} out tokens, $${totals.costUsd} in ${s.usage.length} record(s)`,
    s.children.length === 0 ? "" : table(["CHILD", "RUN", "STATUS"], s.children.map(([name, id, st]) => [name, id, status(st)]))
  ]
  return parts.filter((p) => p !== "").join("\n\n")
}

export const runsCommand = (args: ReadonlyArray<string>) =>
  remoteCommand("runs", runsUsage, { status: "value", workflow: "value", queue: "value", limit: "value" }, args, (parsed, json) =>
    Effect.gen(function*() {
      const tide = yield* Tidebase
      const limit = yield* intOption(parsed, "limit")
      const filter = {
        ...(optionOf(parsed, "status") === undefined ? {} : { status: optionOf(parsed, "status")! }),
        ...(optionOf(parsed, "workflow") === undefined ? {} : { workflowName: optionOf(parsed, "workflow")! }),
        ...(optionOf(parsed, "queue") === undefined ? {} : { queue: optionOf(parsed, "queue")! }),
        ...(limit === undefined ? {} : { limit })
      }
      const runs = yield* tide.runs.list(filter)
      if (json) return yield* printJson(runs)
      console.log(runs.length === 0 ? dim("no runs") : table(
        ["RUN", "WORKFLOW", "STATUS", "CREATED", "COST"],
        runs.map((r) => [r.id, r.workflowName, status(r.status), r.createdAt, r.usageTotals.costUsd === 0 ? "" : `$${r.usageTotals.costUsd}`])
      ))
    }))

export const showCommand = (args: ReadonlyArray<string>) =>
  remoteCommand("show", showUsage, {}, args, (parsed, json) =>
    Effect.gen(function*() {
      const runId = yield* onlyRunId(parsed.positional)
      const detail = yield* (yield* Tidebase).runs.get(runId)
      if (json) return yield* printJson(detail)
      const children = detail.runEdges.map((e) => [e.name, e.childRunId, detail.childRuns.find((c) => c.id === e.childRunId)?.status ?? "?"] as const)
      console.log(summary({ ...detail, children }))
    }))

const eventLine = (e: Event, origin: number) =>
  `${dim(`+${String(Date.parse(e.createdAt) - origin).padStart(6)}ms`)}  ${String(e.seq).padStart(4)}  ${e.type.padEnd(18)}  ${brief(eventGist(e), 80)}`

/** The part of an event's payload a person reads first. */
const eventGist = (e: Event): unknown => {
  const p = e.payload as Record<string, unknown>
  return p["name"] ?? (p["gate"] as { name?: unknown } | undefined)?.name ?? p["output"] ?? p["reason"] ?? p["error"] ?? p["result"] ?? ""
}

export const replayCommand = (args: ReadonlyArray<string>) =>
  remoteCommand("replay", replayUsage, { seq: "value" }, args, (parsed, json) =>
    Effect.gen(function*() {
      const runId = yield* onlyRunId(parsed.positional)
      const seq = yield* intOption(parsed, "seq")
      const tide = yield* Tidebase
      const replay: RunReplay = yield* tide.runs.replay(runId, seq === undefined ? {} : { seq })
      if (json) return yield* printJson(replay)
      const events = (yield* tide.runs.get(runId)).events
      const origin = Date.parse(events[0]!.createdAt)
      const timeline = events.map((e) => e.seq === replay.seq ? bold(`${eventLine(e, origin)}  ◀ seq ${replay.seq}`) : e.seq > replay.seq ? dim(eventLine(e, origin)) : eventLine(e, origin))
      const children = replay.runEdges.map((e) => [e.name, e.childRunId, ""] as const)
      console.log(`${timeline.join("\n")}\n\n${bold(`as of seq ${replay.seq} of ${replay.latestSeq}:`)}\n${summary({ ...replay, children })}`)
    }))

export const eventsCommand = (args: ReadonlyArray<string>) =>
  remoteCommand("events", eventsUsage, { follow: "flag", after: "value", types: "value" }, args, (parsed, json) =>
    Effect.gen(function*() {
      const target = yield* onlyRunId(parsed.positional)
      const after = (yield* intOption(parsed, "after")) ?? 0
      const types = optionOf(parsed, "types")?.split(",").map((t) => t.trim())
      const tide = yield* Tidebase
      const print = (e: Event, origin: number) =>
        Effect.sync(() => console.log(json ? JSON.stringify(e) : `${target === "all" ? `${dim(e.runId)} ` : ""}${eventLine(e, origin)}`))
      if (parsed.options.has("follow")) {
        let origin: number | undefined
        return yield* Stream.runForEach(tide.events.subscribe(target, { after, ...(types === undefined ? {} : { types }) }), (e) => print(e, origin ??= Date.parse(e.createdAt)))
      }
      if (target === "all") return yield* Effect.fail(new UsageError("the feed of all runs is live: add --follow"))
      const events = (yield* tide.runs.get(target)).events.filter((e) => e.seq > after && (types === undefined || types.includes(e.type)))
      const origin = events.length === 0 ? 0 : Date.parse(events[0]!.createdAt)
      yield* Effect.forEach(events, (e) => print(e, origin), { discard: true })
    }))
