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
  /** How much `counter` grew over the measured window. */
  readonly counterDelta?: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!

/**
 * Runs `workers` loops of `op` back-to-back: a warm-up whose operations are discarded, then
 * a fixed window in which every operation that finishes counts (completions, so operations
 * straddling either edge balance out). Each worker gets its index and prepares its own
 * state (a run, a connection) before the clock starts. `counter` is a cumulative reading
 * (say a process's CPU time) taken at the window's edges.
 */
export const measureThroughput = async <S>(
  workers: number,
  prepare: (worker: number) => Promise<S>,
  op: (state: S) => Promise<void>,
  options: MeasureOptions = defaultMeasureOptions(),
  counter?: () => number
): Promise<Throughput> => {
  const states = await Promise.all(Array.from({ length: workers }, (_, i) => prepare(i)))
  const start = performance.now()
  const measureFrom = start + options.warmupMs
  const measureUntil = measureFrom + options.durationMs
  const latencies: Array<number> = []
  let counterAtStart = Number.NaN
  let counterAtEnd = Number.NaN
  const edges = counter === undefined ? [] : [
    setTimeout(() => (counterAtStart = counter()), options.warmupMs),
    setTimeout(() => (counterAtEnd = counter()), options.warmupMs + options.durationMs)
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
  if (counter !== undefined && Number.isNaN(counterAtEnd)) counterAtEnd = counter()
  latencies.sort((a, b) => a - b)
  return {
    perSecond: latencies.length / (options.durationMs / 1_000),
    count: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    ...(counter === undefined ? {} : { counterDelta: counterAtEnd - counterAtStart })
  }
}
