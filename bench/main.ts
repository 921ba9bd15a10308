import { availableParallelism } from "node:os"
import { defaultMeasureOptions, startBenchEnvironment } from "./harness.js"
import type { BenchEnvironment } from "./harness.js"
import { appendFloorSection } from "./appendFloor.js"
import { cancelStopSection } from "./cancelStop.js"
import { crashResumeSection } from "./crashResume.js"
import { gateWakeSection } from "./gateWake.js"
import { httpSection } from "./http.js"
import { longRunSection } from "./longRun.js"
import { queueSection } from "./queues.js"
import { rawSection } from "./raw.js"
import { figureTable, ratioTable } from "./report.js"
import { sdkSection } from "./sdk.js"
import type { Figure, Section } from "./section.js"
import { transportSection } from "./transport.js"

/** In order: later sections may compare against earlier figures (the raw rates come first). */
const allSections: ReadonlyArray<Section> = [rawSection, transportSection, appendFloorSection, httpSection, sdkSection, longRunSection, crashResumeSection, gateWakeSection, cancelStopSection, queueSection]

/** `BENCH_ONLY=sdk,http` runs the sections whose names contain one of the words, after the raw rates they compare to. */
const selected = (only: string | undefined) => {
  const words = (only ?? "").split(",").map((w) => w.trim().toLowerCase()).filter((w) => w !== "")
  if (words.length === 0) return allSections
  return allSections.filter((s) => s === rawSection || words.some((w) => s.name.toLowerCase().includes(w)))
}
const sections = selected(process.env.BENCH_ONLY)

const serverNodeArgs = () => {
  const dir = process.env.BENCH_SERVER_CPU_PROF
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`]
}

let env: BenchEnvironment | undefined
let stopping: Promise<void> | undefined
let interrupted = false
const stop = () => (stopping ??= env?.stop() ?? Promise.resolve())

// Ctrl-C stops the server and drops the database before exiting, like a normal end.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.once(signal, () => {
    interrupted = true
    console.error(`\n${signal}: stopping the server and the database`)
    void stop().finally(() => process.exit(code))
  })
}

const main = async () => {
  const measure = defaultMeasureOptions()
  const started = performance.now()
  try {
    env = await startBenchEnvironment({ serverNodeArgs: serverNodeArgs() })
    console.log("Tidebase checkpoint bench")
    console.log(`Postgres: ${env.postgres.version}, ${env.postgres.source}; ${env.postgres.durability}`)
    console.log(`Server: child process (pid ${env.serverPid}) at ${env.serverUrl}; ${availableParallelism()} cores shared with Postgres and this load generator`)
    console.log(`Each figure: ${measure.warmupMs} ms warm-up, then completions counted over ${measure.durationMs} ms`)

    const figures = new Map<string, Figure>()
    const notes: Array<string> = []
    for (const section of sections) {
      console.log(`running ${section.name}…`)
      const result = await section.run({ env, measure, figures })
      for (const figure of result.figures) figures.set(figure.key, figure)
      notes.push(...(result.notes ?? []))
    }

    console.log("")
    for (const note of notes) console.log(note)
    console.log("")
    console.log(figureTable([...figures.values()]))
    console.log("")
    console.log(ratioTable(sections.flatMap((s) => s.ratios ?? []), figures))
  } finally {
    await stop()
  }
  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

main().then(
  // Explicit exits: the embedded Postgres's exit hook would otherwise end the process with 0 on beforeExit.
  () => process.exit(0),
  (error) => {
    // After a signal the sections fail on purpose; the signal handler exits.
    if (interrupted) return
    console.error(error)
    process.exit(1)
  }
)
