/** Figures of one timed loop. */
export interface Measurement {
  name: string;
  operations: number;
  seconds: number;
  opsPerSecond: number;
  nsPerOp: number;
}

/**
 * Runs `step` (which performs `batch` operations per call) for `warmupMs`, then for `durationMs`,
 * and reports throughput. Time is read once per batch so that reading the clock stays negligible.
 */
export function measure(name: string, batch: number, step: () => void, warmupMs = 1_000, durationMs = 4_000): Measurement {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) step();
  let operations = 0;
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end) {
    step();
    operations += batch;
    now = performance.now();
  }
  const seconds = (now - start) / 1000;
  return { name, operations, seconds, opsPerSecond: operations / seconds, nsPerOp: (seconds * 1e9) / operations };
}

/** `measure` for an API that only answers through a promise: each `step` is awaited in turn. */
export async function measureAsync(
  name: string,
  batch: number,
  step: () => Promise<void>,
  warmupMs = 1_000,
  durationMs = 4_000,
): Promise<Measurement> {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await step();
  let operations = 0;
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end) {
    await step();
    operations += batch;
    now = performance.now();
  }
  const seconds = (now - start) / 1000;
  return { name, operations, seconds, opsPerSecond: operations / seconds, nsPerOp: (seconds * 1e9) / operations };
}

/** The `p`-th percentile (nearest rank) of ascending `sorted`; NaN when it is empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function formatMeasurement(m: Measurement): string {
  return `${m.name.padEnd(44)} ${(m.opsPerSecond / 1e6).toFixed(2).padStart(8)} M/s ${m.nsPerOp.toFixed(1).padStart(9)} ns/op  (${m.operations.toLocaleString("en")} in ${m.seconds.toFixed(2)} s)`;
}

export function heapMiB(): string {
  return `${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1)} MiB`;
}
