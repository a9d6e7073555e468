// `--seed` replays the same users, delays and failures.
export { seededRandom } from "@darklaunch/core";

/** An exponential draw with this mean (1 − u keeps the log away from 0). */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}
