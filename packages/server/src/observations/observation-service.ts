import {
  type ComparisonCounts,
  type ComparisonSummary,
  compileRedactor,
  DEFAULT_SAMPLE_LIMIT,
  type FieldReport,
  fieldReports,
  MAX_SAMPLE_LIMIT,
  MAX_STEPS,
  type MismatchSample,
  mergePaired,
  type ObservationBatch,
  type ObservationSource,
  type ObservationWindow,
  type PairedCounts,
  type PairedSummary,
  pairCount,
  type Redactor,
  type SideSummary,
  type SideWindow,
  summarizeComparison,
  summarizeSide,
  totalWindows,
} from "@darklaunch/core";
import { badField } from "../errors.js";
import type { FlagService } from "../flags/flag-service.js";
import type { ObservationStore } from "./observation-store.js";

const MINUTE_MS = 60_000;

// Steps and samples one answer holds: part of the API contract.
export { DEFAULT_SAMPLE_LIMIT, MAX_SAMPLE_LIMIT, MAX_STEPS };

/** A window of the batch that was not stored, and why (`UNKNOWN_FLAG`: no flag has that key). */
export interface SkippedWindow {
  index: number;
  flag: string;
  reason: "UNKNOWN_FLAG";
}

export interface RecordResult {
  accepted: number;
  skipped: SkippedWindow[];
  /** The length of the windows this server takes: reporters learn their minute from it. */
  minuteMs: number;
}

/** A period and filters to read: `since` and `until` are ISO times, `since < until`. */
export interface PeriodQuery {
  since: string;
  until: string;
  source?: ObservationSource | undefined;
  route?: string | undefined;
}

/** One side over a step or period, with its request rate (requests per second). */
export type SideRates = SideSummary & { requestRate: number };

export interface SeriesPoint {
  start: string;
  baseline: SideRates;
  dark: SideRates;
  comparison: ComparisonSummary;
  paired: PairedSummary;
}

export interface ObservationSeries {
  flag: string;
  since: string;
  until: string;
  step: string;
  stepSeconds: number;
  series: SeriesPoint[];
  totals: { baseline: SideRates; dark: SideRates; comparison: ComparisonSummary; paired: PairedSummary };
}

export type LocatedSample = MismatchSample & { route: string; source: ObservationSource };

export interface MismatchReport {
  flag: string;
  since: string;
  until: string;
  comparison: ComparisonSummary;
  fields: FieldReport[];
  samples: LocatedSample[];
  routes: RouteBreakdown[];
}

/** One route of one source over a period (see the protocol's RouteBreakdownSchema). */
export interface RouteBreakdown {
  route: string;
  source: ObservationSource;
  baseline: { requests: number; errors: number; errorRate: number | null };
  dark: { requests: number; errors: number; errorRate: number | null };
  comparison: ComparisonSummary;
  beyondNoise: number;
  realFields: number;
}

/** The period's windows per route and source, most mismatches first, each judged with the noise rule on its own totals. */
function routeBreakdown(windows: readonly ObservationWindow[]): RouteBreakdown[] {
  const groups = new Map<string, ObservationWindow[]>();
  for (const w of windows) {
    const key = JSON.stringify([w.route, w.source]);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [w]);
    else group.push(w);
  }
  const side = (s: SideWindow) => ({ requests: s.requests, errors: s.errors, errorRate: s.requests === 0 ? null : s.errors / s.requests });
  return [...groups.values()]
    .map((group) => {
      const total = totalWindows(group, 0);
      const real = fieldReports(total.comparison).filter((f) => f.significant);
      const first = group[0] as ObservationWindow;
      return {
        route: first.route,
        source: first.source,
        baseline: side(total.baseline),
        dark: side(total.dark),
        comparison: summarizeComparison(total.comparison),
        beyondNoise: Math.min(total.comparison.mismatched, Math.max(0, ...real.map((f) => f.differences))),
        realFields: real.length,
      };
    })
    .sort((a, b) => b.comparison.mismatched - a.comparison.mismatched || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
}

function rates(side: SideWindow, seconds: number): SideRates {
  return { ...summarizeSide(side), requestRate: seconds > 0 ? side.requests / seconds : 0 };
}

/** The paired counters of some windows added up; null when none of them had any (split mode). */
function pairedTotal(windows: readonly ObservationWindow[]): PairedSummary {
  let total: PairedCounts | undefined;
  for (const w of windows) total = mergePaired(total, w.paired);
  return total === undefined ? null : { pairs: pairCount(total), ...total };
}

/**
 * Proxies and SDKs redact before they send, but a service posting its own windows may not: what is
 * stored is redacted here again (field paths, sample URLs and differences; redacting twice changes
 * nothing), so secrets never reach the store whoever reports.
 */
function redactWindow(w: ObservationWindow, redactor: Redactor): ObservationWindow {
  const paths = (fields: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [path, count] of Object.entries(fields)) {
      const hidden = redactor.difference({ path, location: "", kind: "changed" }).path;
      out[hidden] = (Object.hasOwn(out, hidden) ? (out[hidden] as number) : 0) + count;
    }
    return out;
  };
  const comparison: ComparisonCounts = { ...w.comparison, fields: paths(w.comparison.fields), noise: paths(w.comparison.noise) };
  const samples: MismatchSample[] = w.samples.map((s) => ({
    ...s,
    ...(s.url === undefined ? {} : { url: redactor.url(s.url) }),
    differences: s.differences.map((d) => redactor.difference(d)),
  }));
  return { ...w, comparison, samples };
}

/** `since` rounded down to its minute (windows are whole minutes), checked to be before `until`. */
function alignedPeriod(query: PeriodQuery): { startMs: number; untilMs: number } {
  const startMs = Math.floor(Date.parse(query.since) / MINUTE_MS) * MINUTE_MS;
  const untilMs = Date.parse(query.until);
  if (untilMs <= startMs) throw badField("since", `must be earlier than until (${query.until})`, "query");
  return { startMs, untilMs };
}

/** Per flag, where a window that began at a real time is stored (epoch ms); flags absent are floored to the minute. */
export type DataMinutes = (flags: readonly string[]) => Promise<ReadonlyMap<string, (realMs: number) => number>>;

/**
 * Short periods onto whole minutes, for observation and metric windows alike: the mapping of a
 * window of one of `flags` to its ramp's data minute for a flag under one, else to its real minute.
 */
export async function ontoDataMinutes(
  flags: Iterable<string>,
  dataMinutes: DataMinutes | undefined,
): Promise<<T extends { flag: string; start: string }>(w: T) => T> {
  const clocks = (await dataMinutes?.([...new Set(flags)])) ?? new Map<string, (realMs: number) => number>();
  return (w) => {
    const realMs = Date.parse(w.start);
    const minute = clocks.get(w.flag)?.(realMs) ?? Math.floor(realMs / MINUTE_MS) * MINUTE_MS;
    return { ...w, start: new Date(minute).toISOString() };
  };
}

export interface ObservationServiceOptions {
  /**
   * The server's minute in ms (default 60 000). Shorter (tests and demos): reporters send windows
   * of that length, which are stored as whole minutes — see `dataMinutes`.
   */
  minuteMs?: number | undefined;
  /** With short minutes: the data minute of windows of flags under an active ramp (its `RampClock`). */
  dataMinutes?: DataMinutes | undefined;
}

/**
 * Observations of dark launches: stores reported windows for flags that exist, and reads them back
 * as a time series or as the fields and samples that differed.
 *
 * With short minutes (`serve --minute-ms`, for tests and demos) a window is one short period: a
 * window of a flag under an active ramp is stored at the ramp's data minute for that period (one
 * period, one ramp minute, as the ramp runner counts them), any other at its real minute (the
 * periods of a minute merge into it).
 */
export class ObservationService {
  private readonly redactor = compileRedactor();
  /** The length of the windows reporters send, in ms. */
  readonly minuteMs: number;
  private readonly dataMinutes: DataMinutes | undefined;

  constructor(
    private readonly store: ObservationStore,
    private readonly flags: FlagService,
    options: ObservationServiceOptions = {},
  ) {
    // Ramp minutes longer than a minute (odd, but allowed) still take whole-minute windows.
    this.minuteMs = Math.min(options.minuteMs ?? MINUTE_MS, MINUTE_MS);
    this.dataMinutes = options.dataMinutes;
  }

  /**
   * Stores a validated batch. Windows of unknown flags are skipped and reported; windows of archived
   * flags are stored (they describe traffic that happened, often flushed just after the archive,
   * and the flag's history stays readable). The rest are merged in one transaction.
   */
  async record(batch: ObservationBatch): Promise<RecordResult> {
    const known = await this.flags.existing([...new Set(batch.windows.map((w) => w.flag))]);
    const skipped: SkippedWindow[] = [];
    const kept: ObservationWindow[] = [];
    batch.windows.forEach((w, index) => {
      if (known.has(w.flag)) kept.push(redactWindow(w, this.redactor));
      else skipped.push({ index, flag: w.flag, reason: "UNKNOWN_FLAG" });
    });
    await this.store.merge(
      this.minuteMs === MINUTE_MS
        ? kept
        : kept.map(
            await ontoDataMinutes(
              kept.map((w) => w.flag),
              this.dataMinutes,
            ),
          ),
    );
    return { accepted: kept.length, skipped, minuteMs: this.minuteMs };
  }

  /** The flag's stored windows of minutes in [since, until), oldest first (the judge reads them). */
  async windows(flag: string, since: string, until: string): Promise<ObservationWindow[]> {
    return this.store.list({ flag, since, until });
  }

  /**
   * The flag's windows in steps of `stepMs` from `since` (rounded down to the minute) to `until`,
   * every step present (empty ones with zero counts and null rates) so charts are continuous.
   */
  async series(flag: string, query: PeriodQuery & { step: string; stepMs: number }): Promise<ObservationSeries> {
    await this.flags.get(flag);
    const { startMs, untilMs } = alignedPeriod(query);
    const { stepMs } = query;
    const count = Math.ceil((untilMs - startMs) / stepMs);
    if (count > MAX_STEPS) {
      throw badField("step", `gives ${count} steps from since to until; at most ${MAX_STEPS} are answered, so use a larger step`, "query");
    }
    const since = new Date(startMs).toISOString();
    const windows = await this.store.list({ flag, since, until: query.until, source: query.source, route: query.route });
    const buckets: ObservationWindow[][] = Array.from({ length: count }, () => []);
    for (const w of windows) buckets[Math.floor((Date.parse(w.start) - startMs) / stepMs)]?.push(w);
    const stepSeconds = stepMs / 1000;
    const series = buckets.map((bucket, i) => {
      const total = totalWindows(bucket, 0);
      const bucketStart = startMs + i * stepMs;
      // The last step may be cut short by `until`: its rate is over the time it covers, not a whole step.
      const seconds = (Math.min(bucketStart + stepMs, untilMs) - bucketStart) / 1000;
      return {
        start: new Date(bucketStart).toISOString(),
        baseline: rates(total.baseline, seconds),
        dark: rates(total.dark, seconds),
        comparison: summarizeComparison(total.comparison),
        paired: pairedTotal(bucket),
      };
    });
    const total = totalWindows(windows, 0);
    const seconds = (untilMs - startMs) / 1000;
    return {
      flag,
      since,
      until: query.until,
      step: query.step,
      stepSeconds,
      series,
      totals: {
        baseline: rates(total.baseline, seconds),
        dark: rates(total.dark, seconds),
        comparison: summarizeComparison(total.comparison),
        paired: pairedTotal(windows),
      },
    };
  }

  /** Which fields differed over the period (Diffy's rule on the period's totals) and the newest samples. */
  async mismatches(flag: string, query: PeriodQuery & { limit: number }): Promise<MismatchReport> {
    await this.flags.get(flag);
    const { startMs } = alignedPeriod(query);
    const since = new Date(startMs).toISOString();
    const windows = await this.store.list({ flag, since, until: query.until, source: query.source, route: query.route });
    const { comparison } = totalWindows(windows, 0);
    const samples = windows
      .flatMap((w) => w.samples.map((s): LocatedSample => ({ ...s, route: w.route, source: w.source })))
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      .slice(0, query.limit);
    return {
      flag,
      since,
      until: query.until,
      comparison: summarizeComparison(comparison),
      fields: fieldReports(comparison),
      samples,
      routes: routeBreakdown(windows),
    };
  }
}
