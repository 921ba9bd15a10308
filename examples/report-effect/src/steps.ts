import { Console, Data, Effect, Schema } from "effect"

/** Stand-ins for an LLM planner, a search tool and a writer, as Effects with typed failures. */

export const Plan = Schema.Struct({ topic: Schema.String, sections: Schema.Array(Schema.String) })
export type Plan = typeof Plan.Type

/** `fetchedAt` is a Date: the checkpoint stores it encoded and replay decodes it back into one. */
export const Source = Schema.Struct({ section: Schema.String, url: Schema.String, fetchedAt: Schema.Date })
export type Source = typeof Source.Type

export class WriterCrashed extends Data.TaggedError("WriterCrashed")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

const executing = (step: string) => Console.log(`  ▶ ${step}: executing`)

export const makePlan = (topic: string) =>
  executing("plan").pipe(
    Effect.zipRight(Effect.sleep("150 millis")),
    Effect.as<Plan>({ topic, sections: ["Why runs fail", "Checkpoints", "Resuming"] })
  )

export const fetchSources = (plan: Plan) =>
  executing("fetch-sources").pipe(
    Effect.zipRight(Effect.sleep("250 millis")),
    Effect.map((): ReadonlyArray<Source> =>
      plan.sections.map((section, i) => ({
        section,
        url: `https://example.com/${plan.topic.replaceAll(" ", "-")}/${i + 1}`,
        fetchedAt: new Date()
      }))
    )
  )

export const writeReport = (plan: Plan, sources: ReadonlyArray<Source>, fail: boolean) =>
  executing("write-report").pipe(
    Effect.zipRight(Effect.sleep("100 millis")),
    Effect.zipRight(
      fail
        ? Effect.fail(new WriterCrashed({ reason: "FAIL_WRITE=1: the writer crashed after two checkpoints" }))
        : Effect.succeed(
          `# ${plan.topic}\n\n${
            sources.map((s) => `## ${s.section}\n${s.url} (fetched ${s.fetchedAt.toISOString()})`).join("\n\n")
          }\n`
        )
    )
  )
