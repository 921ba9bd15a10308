/** How long each figure warms up and is then measured; BENCH_SECONDS shortens a run. */
export interface MeasureOptions {
  readonly warmupMs: number
  readonly durationMs: number
}

export const defaultMeasureOptions = (): MeasureOptions => {
  const seconds = Number(process.env.BENCH_SECONDS ?? "5")
  return { warmupMs: Math.min(1_000, seconds * 200), durationMs: seconds * 1_000 }
}

export interface Throughput {
  readonly perSecond: number
  readonly count: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** How much each of `counters` grew over the measured window. */
  readonly counterDeltas?: Readonly<Record<string, number>>
}

/** Cumulative readings (a process's CPU time, requests sent) taken at the window's edges. */
export type Counters = Readonly<Record<string, () => number>>

const read = (counters: Counters) => Object.fromEntries(Object.entries(counters).map(([name, counter]) => [name, counter()]))

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

/**
 * Runs `workers` loops of `op` back-to-back: a warm-up whose operations are discarded, then
 * a fixed window in which every operation that finishes counts (completions, so operations
 * straddling either edge balance out). Each worker gets its index and prepares its own
 * state (a run, a connection) before the clock starts.
 */
export const measureThroughput = async <S>(
  workers: number,
  prepare: (worker: number) => Promise<S>,
  op: (state: S) => Promise<void>,
  options: MeasureOptions = defaultMeasureOptions(),
  counters?: Counters
): Promise<Throughput> => {
  const states = await Promise.all(Array.from({ length: workers }, (_, i) => prepare(i)))
  const start = performance.now()
  const measureFrom = start + options.warmupMs
  const measureUntil = measureFrom + options.durationMs
  const latencies: Array<number> = []
  let atStart: Record<string, number> | undefined
  let atEnd: Record<string, number> | undefined
  const edges = counters === undefined ? [] : [
    setTimeout(() => (atStart = read(counters)), options.warmupMs),
    setTimeout(() => (atEnd = read(counters)), options.warmupMs + options.durationMs)
  ]
  const loop = async (state: S) => {
    while (performance.now() < measureUntil) {
      const began = performance.now()
      await op(state)
      const ended = performance.now()
      if (ended >= measureFrom && ended <= measureUntil) latencies.push(ended - began)
    }
  }
  await Promise.all(states.map(loop))
  edges.forEach(clearTimeout)
  // A timer can lose the race with the last operation; the reading is then a little late.
  if (counters !== undefined) atEnd ??= read(counters)
  latencies.sort((a, b) => a - b)
  return {
    perSecond: latencies.length / (options.durationMs / 1_000),
    count: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    ...(counters === undefined ? {} : {
      counterDeltas: Object.fromEntries(Object.keys(counters).map((name) => [name, (atEnd?.[name] ?? Number.NaN) - (atStart?.[name] ?? Number.NaN)]))
    })
  }
}

export interface LatencyBounds {
  /** Runs discarded before sampling, e.g. the first one through a cold code path. */
  readonly warmups: number
  readonly minSamples: number
  readonly maxSamples: number
  /** Sampling goes on until this has passed and `minSamples` are in... */
  readonly windowMs: number
  /** ...but never past this, however few samples that leaves. */
  readonly limitMs: number
}

/**
 * `op` back-to-back on its own, for operations too slow for a fixed window to hold enough of
 * them (a resume of a long run): bounded in count and in time either way.
 */
export const measureLatency = async (op: () => Promise<unknown>, bounds: LatencyBounds): Promise<Throughput> => {
  const start = performance.now()
  for (let i = 0; i < bounds.warmups && performance.now() - start < bounds.limitMs; i++) await op()
  const sampleFrom = performance.now()
  const latencies: Array<number> = []
  const elapsed = () => performance.now() - sampleFrom
  while (
    latencies.length < bounds.maxSamples && performance.now() - start < bounds.limitMs &&
    (latencies.length < bounds.minSamples || elapsed() < bounds.windowMs)
  ) {
    const began = performance.now()
    await op()
    latencies.push(performance.now() - began)
  }
  const seconds = elapsed() / 1_000
  latencies.sort((a, b) => a - b)
  return {
    perSecond: latencies.length / seconds,
    count: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99)
  }
}
