/** Stand-ins for an LLM planner, a search tool and a writer: slow enough to be worth not repeating. */

export interface Plan {
  readonly topic: string
  readonly sections: ReadonlyArray<string>
}

export interface Source {
  readonly section: string
  readonly url: string
  readonly excerpt: string
}

const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const makePlan = async (input: { readonly topic: string }): Promise<Plan> => {
  await work(150)
  return { topic: input.topic, sections: ["Why runs fail", "Checkpoints", "Resuming"] }
}

export const fetchSources = async (plan: Plan): Promise<ReadonlyArray<Source>> => {
  await work(250)
  return plan.sections.map((section, i) => ({
    section,
    url: `https://example.com/${plan.topic.replaceAll(" ", "-")}/${i + 1}`,
    excerpt: `Notes on "${section.toLowerCase()}" for ${plan.topic}.`
  }))
}

export class WriterCrashed extends Error {
  override readonly name = "WriterCrashed"
}

export const writeReport = async (
  plan: Plan,
  sources: ReadonlyArray<Source>,
  options: { readonly fail: boolean; readonly slow?: boolean }
) => {
  await work(options.slow === true ? 60_000 : 100)
  if (options.fail) throw new WriterCrashed("FAIL_WRITE=1: the writer crashed after two checkpoints")
  const body = sources.map((s) => `## ${s.section}\n${s.excerpt} (${s.url})`).join("\n\n")
  return `# ${plan.topic}\n\n${body}\n`
}
