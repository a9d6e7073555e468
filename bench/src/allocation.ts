import { GCProfiler } from "node:v8";

/**
 * Bytes allocated on the JS heap while `run` runs: the growth of `heapUsed` plus what every
 * collection that ran meanwhile freed (from v8's GC profiler, read synchronously), so a scavenge in
 * the middle does not hide what was allocated. Code compiled meanwhile counts too: warm up first.
 */
export function allocatedBytes(run: () => void): number {
  (globalThis as { gc?: () => void }).gc?.();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  run();
  const after = process.memoryUsage().heapUsed;
  let freed = 0;
  for (const gc of profiler.stop()?.statistics ?? []) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return after - before + freed;
}
