import { processCpuMs } from "./harness.js"
import type { Counters, Throughput } from "./harness.js"
import { verdict } from "./report.js"

/** The ceiling on the server's CPU (user + sys) per HTTP request on the checkpoint path. */
export const CPU_PER_REQUEST_TARGET_MS = 0.6

export const serverCpuCounter = (pid: number): Counters => ({ serverCpuMs: () => processCpuMs(pid) })

/** The server's CPU time over the measured window divided by `count` (requests or steps counted in it). */
export const serverCpuPer = (t: Throughput, count: number) => (t.counterDeltas?.serverCpuMs ?? Number.NaN) / count

/** "0.52 ms with 1 run (target ≤ 0.6 ms: met)" */
export const cpuAgainstTarget = (ms: number, where: string) =>
  `${ms.toFixed(2)} ms ${where} ${verdict(ms, "≤", CPU_PER_REQUEST_TARGET_MS, " ms")}`
