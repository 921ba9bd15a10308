import { Effect } from "effect"

/**
 * A long run's rendered read (its detail's steps and events, or its checkpoints) as of one
 * version of its stream, held as UTF-8 bytes (a read copies them into its answer; nothing is
 * encoded again). Both are functions of the stream alone (steps change only through `step.*`
 * events), so a read at a later version renders only what came after: the new events, and the
 * steps they name.
 */
export interface RenderedRun {
  readonly version: number
  /** Each step's wire JSON by its `seq` (stable for a step's lifetime, unique in its run). */
  readonly steps: ReadonlyMap<number, Buffer>
  /** The step seqs in order. */
  readonly order: ReadonlyArray<number>
  /** The steps' JSON, comma-joined in order. */
  readonly stepsBody: Buffer
  /** The events' JSON, comma-joined in `seq` order. */
  readonly eventsBody: Buffer
  readonly bytes: number
}

/**
 * What a read rendered past the cached version: `seq␟json` per changed step (`seq␟` for a step
 * that left the read), joined by ␞; the new events comma-joined.
 */
export interface RenderedDelta {
  readonly version: number
  readonly steps: string | null
  readonly events: string | null
}

export const STEP_SEPARATOR = "\x1e"
export const SEQ_SEPARATOR = "\x1f"

const COMMA = Buffer.from(",")
const NONE = Buffer.alloc(0)
const empty: RenderedRun = { version: -1, steps: new Map(), order: [], stepsBody: NONE, eventsBody: NONE, bytes: 0 }

const joined = (parts: ReadonlyArray<Buffer>) => {
  const list: Array<Buffer> = []
  for (const part of parts) {
    if (list.length > 0) list.push(COMMA)
    list.push(part)
  }
  return Buffer.concat(list)
}

/** `base` moved forward by `delta`; `base` itself is left as it was (a concurrent read may hold it). */
export const advance = (base: RenderedRun, delta: RenderedDelta): RenderedRun => {
  if (delta.steps === null && delta.events === null) return base.version === delta.version ? base : { ...base, version: delta.version }
  let { order, steps, stepsBody } = base
  if (delta.steps !== null) {
    const next = new Map(base.steps)
    const added: Array<number> = []
    let removed = false
    for (const piece of delta.steps.split(STEP_SEPARATOR)) {
      const cut = piece.indexOf(SEQ_SEPARATOR)
      const seq = Number(piece.slice(0, cut))
      // An empty piece: the step no longer belongs to this read (a checkpoint whose step is running again).
      if (cut === piece.length - 1) {
        if (next.delete(seq)) removed = true
        continue
      }
      if (!next.has(seq)) added.push(seq)
      next.set(seq, Buffer.from(piece.slice(cut + 1)))
    }
    if (removed) order = order.filter((seq) => next.has(seq))
    if (added.length > 0) {
      const grown = [...order, ...added]
      const inOrder = grown.every((seq, i) => i === 0 || grown[i - 1]! < seq)
      order = inOrder ? grown : grown.sort((a, b) => a - b)
    }
    steps = next
    stepsBody = joined(order.map((seq) => next.get(seq)!))
  }
  const eventsBody = delta.events === null
    ? base.eventsBody
    : joined([base.eventsBody, Buffer.from(delta.events)].filter((part) => part.length > 0))
  return { version: delta.version, steps, order, stepsBody, eventsBody, bytes: 2 * stepsBody.length + eventsBody.length }
}

export const rendered = (delta: RenderedDelta) => advance(empty, delta)

/** The v0.6 checkpoints answer: the run and its completed steps. */
export const checkpointsBody = (run: string, rendered: RenderedRun): ReadonlyArray<Uint8Array> => [
  Buffer.from(`{"run":${run},"checkpoints":[`),
  rendered.stepsBody,
  Buffer.from("]}")
]

/** The v0.6 detail: the run, its steps, the rest (a JSON object's text), its events. */
export const detailBody = (run: string, rendered: RenderedRun, rest: string): ReadonlyArray<Uint8Array> => [
  Buffer.from(`{"run":${run},"steps":[`),
  rendered.stepsBody,
  Buffer.from(`],${rest.slice(1, -1)},"events":[`),
  rendered.eventsBody,
  Buffer.from("]}")
]

/** Runs below this many events (a stream's version counts them) render from scratch in a few milliseconds: not worth holding. */
const MIN_EVENTS = 1_000
/** Rendered text held across all runs: the memory bound (JS strings of ASCII JSON, about a byte a character). */
const MAX_BYTES = 128 * 1_048_576

/**
 * The rendered reads of the long runs this process read last, most recent last.
 * Never trusted blindly: every read names the version it holds, and Postgres renders what
 * the stream gained since, in the same statement (one snapshot) as the rest of the detail.
 */
export class DetailCache extends Effect.Service<DetailCache>()("Tidebase/DetailCache", {
  sync: () => {
    const entries = new Map<string, RenderedRun>()
    let held = 0

    const get = (runId: string): RenderedRun | undefined => entries.get(runId)

    const drop = (runId: string) => {
      const previous = entries.get(runId)
      if (previous === undefined) return
      entries.delete(runId)
      held -= previous.bytes
    }

    const put = (runId: string, run: RenderedRun) => {
      drop(runId)
      if (run.version < MIN_EVENTS || run.bytes > MAX_BYTES) return
      entries.set(runId, run)
      held += run.bytes
      for (const [oldest, old] of entries) {
        if (held <= MAX_BYTES) break
        entries.delete(oldest)
        held -= old.bytes
      }
    }

    return { get, put, drop } as const
  }
}) {}
