import type { BenchEnvironment, MeasureOptions, Throughput } from "./harness.js"

/** One measured number; `key` is how ratios (and later sections) refer to it. */
export interface Figure {
  readonly key: string
  readonly label: string
  readonly clients: number
  readonly throughput: Throughput
}

/** `numerator / denominator`, printed after every section has run; `target` and `stretch` are floors. */
export interface Ratio {
  readonly label: string
  readonly numerator: string
  readonly denominator: string
  readonly target?: number
  readonly stretch?: number
}

export interface BenchContext {
  readonly env: BenchEnvironment
  readonly measure: MeasureOptions
  /** Figures of the sections that already ran, e.g. the raw Postgres rates. */
  readonly figures: ReadonlyMap<string, Figure>
}

export interface SectionResult {
  readonly figures: ReadonlyArray<Figure>
  readonly notes?: ReadonlyArray<string>
}

export interface Section {
  readonly name: string
  readonly run: (context: BenchContext) => Promise<SectionResult>
  readonly ratios?: ReadonlyArray<Ratio>
}
