import type { BreakerState } from "./circuit-breaker.js";
import type { DropReason } from "./proxy-metrics.js";

/** What a running proxy has done since it started (`RunningProxy.stats()`). */
export interface ProxyStats {
  /**
   * Responses sent to clients by backend (`stable` includes fallbacks; `fallback` counts split-mode
   * requests stable served because dark was down), 404s for unrouted paths, 502s.
   */
  served: { stable: number; dark: number; fallback: number; notFound: number; badGateway: number };
  /** Calls made to each backend role (mirrors included), and how many failed. */
  calls: { stable: number; dark: number; secondary: number; errors: { stable: number; dark: number; secondary: number } };
  mirrors: {
    /** Mirrors sent to dark. */
    sent: number;
    inflight: number;
    /** The most mirrors in flight at once. */
    peakInflight: number;
    /** Requests of a shadowed subject not mirrored because of their method. */
    skippedMethod: number;
    dropped: Record<DropReason, number>;
  };
  comparisons: {
    total: number;
    match: number;
    mismatch: number;
    /** Real (not noise) differing field paths and how often they differed, e.g. `{ "body.price": 3 }`. */
    fields: Record<string, number>;
    /** Differing paths judged noise (they differ between stable and secondary as often). */
    noise: Record<string, number>;
  };
  breakers: Record<string, { state: BreakerState; probes: number }>;
}

export function emptyStats(): ProxyStats {
  return {
    served: { stable: 0, dark: 0, fallback: 0, notFound: 0, badGateway: 0 },
    calls: { stable: 0, dark: 0, secondary: 0, errors: { stable: 0, dark: 0, secondary: 0 } },
    mirrors: {
      sent: 0,
      inflight: 0,
      peakInflight: 0,
      skippedMethod: 0,
      dropped: { inflight: 0, rate: 0, breaker: 0, body_limit: 0, queue: 0 },
    },
    comparisons: { total: 0, match: 0, mismatch: 0, fields: {}, noise: {} },
    breakers: {},
  };
}

const MAX_FIELDS = 200;

/** Counts each path the differences name once, keeping at most 200 paths (cardinality stays bounded). */
export function countPaths(fields: Record<string, number>, differences: readonly { path: string }[]): void {
  // Most comparisons match: nothing to count, nothing to build.
  if (differences.length === 0) return;
  for (const path of new Set(differences.map((d) => d.path))) countPath(fields, path);
}

function countPath(fields: Record<string, number>, path: string): void {
  const current = fields[path];
  if (current !== undefined) fields[path] = current + 1;
  else if (Object.keys(fields).length < MAX_FIELDS) fields[path] = 1;
}
