import { z } from "zod";
import type { Difference } from "./difference.js";
import { type Problem, ValidationError } from "./errors.js";
import { IsoDateSchema, KeySchema } from "./flag-schema.js";
import { LatencyReservoir, type Random, RESERVOIR_CAPACITY } from "./latency-reservoir.js";
import { emptySketchData, LatencySketch, type SketchData } from "./latency-sketch.js";
import { checkSketchSide, MAX_LATENCY_MS, MAX_SKETCH_BINS, SKETCH_OFFSET_BOUND } from "./sketch-side-check.js";
import { zodProblems } from "./validate.js";

/** Who reported a window: the shadow proxy, an SDK's `experiment()`, or a service through the API. */
export const OBSERVATION_SOURCES = ["proxy", "sdk", "api"] as const;
export type ObservationSource = (typeof OBSERVATION_SOURCES)[number];

/** The two sides a window measures: the current path and the dark one. */
export const SIDES = ["baseline", "dark"] as const;
export type Side = (typeof SIDES)[number];

/** Bounds that keep a window small whatever the traffic. */
export const MAX_FIELDS_PER_WINDOW = 200;
export const MAX_SAMPLES_PER_WINDOW = 5;
export const MAX_DIFFERENCES_PER_SAMPLE = 20;
export const MAX_WINDOWS_PER_BATCH = 1000;
/** Field paths past `MAX_FIELDS_PER_WINDOW` are counted under this name. */
export const OTHER_FIELDS = "(other fields)";

/** One side's measurements in a window. `reservoir` is a uniform sample of the side's latencies. */
export interface SideWindow {
  requests: number;
  errors: number;
  latency: SketchData;
  reservoir: number[];
}

/**
 * Comparison counters. `fields[path]` counts comparisons where the path differed between baseline
 * and dark (Diffy's R); `noise[path]` where it differed between baseline and a second baseline
 * instance (N), over `noiseTotal` such comparisons. `mismatched` counts comparisons with at least
 * one difference not judged noise when it was recorded.
 */
export interface ComparisonCounts {
  total: number;
  matched: number;
  mismatched: number;
  noiseTotal: number;
  fields: Record<string, number>;
  noise: Record<string, number>;
}

/** A redacted example of a mismatch, kept so a person can see what differed. */
export interface MismatchSample {
  at: string;
  requestId?: string | undefined;
  method?: string | undefined;
  url?: string | undefined;
  baselineStatus?: number | undefined;
  darkStatus?: number | undefined;
  differences: Difference[];
}

/**
 * Shadow mode's paired counters: the same request went to both sides, so their outcomes can be
 * compared request by request. Errors: `bothErr`, `darkOnlyErr`, `baseOnlyErr` (pairs where neither
 * failed are not counted). Latency, for every pair: `slower` when dark > 1.1 × base + 2 ms, `faster`
 * when base > 1.1 × dark + 2 ms, else `tie` (so slower + faster + tie is the number of pairs).
 */
export interface PairedCounts {
  bothErr: number;
  darkOnlyErr: number;
  baseOnlyErr: number;
  slower: number;
  faster: number;
  tie: number;
  /**
   * Mirrors the reporter meant to make (the flag put the request in the shadow) that ended without
   * a pair: dropped at the in-flight bound, a breaker or the body limit, or left alone by
   * stable's client. The judge's mirror loss is lost / (pairs + lost). Absent from reporters that
   * do not count it (older versions): the judge then expects baseline requests × the target share.
   */
  lost?: number;
}

/** The band within which two latencies of one pair are a tie: 10 % of the baseline's, plus 2 ms. */
export const PAIRED_LATENCY_BAND = { relative: 0.1, absoluteMs: 2 } as const;

/** Which way a pair's latencies went. */
export function pairedLatencyOutcome(baselineMs: number, darkMs: number): "slower" | "faster" | "tie" {
  const { relative, absoluteMs } = PAIRED_LATENCY_BAND;
  if (darkMs > (1 + relative) * baselineMs + absoluteMs) return "slower";
  if (baselineMs > (1 + relative) * darkMs + absoluteMs) return "faster";
  return "tie";
}

/** Pairs counted: every pair lands in exactly one of slower, faster, tie. */
export function pairCount(paired: PairedCounts): number {
  return paired.slower + paired.faster + paired.tie;
}

export function emptyPaired(): PairedCounts {
  return { bothErr: 0, darkOnlyErr: 0, baseOnlyErr: 0, slower: 0, faster: 0, tie: 0, lost: 0 };
}

/** Adds paired counters; absent (a split-mode window, or an old reporter's) stays absent unless the other has them. */
export function mergePaired(a: PairedCounts | undefined, b: PairedCounts | undefined): PairedCounts | undefined {
  if (a === undefined) return b === undefined ? undefined : { ...b };
  const out = { ...a };
  if (b !== undefined) addPairedInto(out, b);
  return out;
}

/**
 * Everything observed for one flag, source and route in one minute (docs/architecture.md#dark-paths-and-observations).
 *
 * Coverage: a window that exists was reported, even with zero requests on both sides (a reporter
 * that watched the flag and saw no traffic, see `ObservationRecorder.watch`); a minute with no
 * window at all is one nobody reported. The judge tells the two apart. Σ latency per side is
 * `latency.sum` (the sketch keeps the exact sum; it merges by addition).
 */
export interface ObservationWindow {
  flag: string;
  source: ObservationSource;
  route: string;
  /** The minute's start, ISO 8601 UTC (`2026-11-22T07:31:00.000Z`). */
  start: string;
  baseline: SideWindow;
  dark: SideWindow;
  comparison: ComparisonCounts;
  samples: MismatchSample[];
  /** Shadow mode only: outcomes of requests sent to both sides. Absent in split mode and from old reporters. */
  paired?: PairedCounts | undefined;
}

/** What `POST /api/v1/observations` takes. */
export interface ObservationBatch {
  /** The reporting process (a proxy or SDK instance), for logs. */
  instance?: string | undefined;
  windows: ObservationWindow[];
}

const MINUTE_MS = 60_000;

/** The start of the minute holding `ms`, as ISO text. */
export function minuteOf(ms: number): string {
  return new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS).toISOString();
}

export function emptySide(): SideWindow {
  return { requests: 0, errors: 0, latency: emptySketchData(), reservoir: [] };
}

export function emptyComparison(): ComparisonCounts {
  return { total: 0, matched: 0, mismatched: 0, noiseTotal: 0, fields: {}, noise: {} };
}

export function emptyWindow(key: Pick<ObservationWindow, "flag" | "source" | "route" | "start">): ObservationWindow {
  return { ...key, baseline: emptySide(), dark: emptySide(), comparison: emptyComparison(), samples: [] };
}

/** The identity windows merge by. */
export function windowKey(window: Pick<ObservationWindow, "flag" | "source" | "route" | "start">): string {
  return JSON.stringify([window.flag, window.source, window.route, window.start]);
}

/**
 * Merges two windows of the same flag, source, route and minute. Counts add up exactly, sketches
 * merge exactly, reservoirs stay uniform samples of the union, samples keep the first few.
 */
export function mergeWindows(a: ObservationWindow, b: ObservationWindow, random: Random = Math.random): ObservationWindow {
  if (windowKey(a) !== windowKey(b)) {
    throw new ValidationError("observation merge", [{ path: "", message: `windows ${windowKey(a)} and ${windowKey(b)} differ in key` }]);
  }
  const merged: ObservationWindow = {
    flag: a.flag,
    source: a.source,
    route: a.route,
    start: a.start,
    baseline: mergeSides(a.baseline, b.baseline, random),
    dark: mergeSides(a.dark, b.dark, random),
    comparison: mergeComparisons(a.comparison, b.comparison),
    samples: [...a.samples, ...b.samples].slice(0, MAX_SAMPLES_PER_WINDOW),
  };
  const paired = mergePaired(a.paired, b.paired);
  if (paired !== undefined) merged.paired = paired;
  return merged;
}

/** Merges sides (of any windows: the time series merges minutes into steps with it). */
export function mergeSides(a: SideWindow, b: SideWindow, random: Random = Math.random): SideWindow {
  const sketch = LatencySketch.from(a.latency);
  sketch.mergeData(b.latency);
  const reservoir = new LatencyReservoir(a.reservoir, a.requests, RESERVOIR_CAPACITY, random);
  reservoir.merge(b.reservoir, b.requests);
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, latency: sketch.toJSON(), reservoir: reservoir.toArray() };
}

/** Adds comparison counters; field maps stay within `MAX_FIELDS_PER_WINDOW` paths. */
export function mergeComparisons(a: ComparisonCounts, b: ComparisonCounts): ComparisonCounts {
  const out = copyComparison(a);
  addComparisonInto(out, b);
  return out;
}

/** A copy of `c` that adding into leaves `c` alone. */
export function copyComparison(c: ComparisonCounts): ComparisonCounts {
  return { ...c, fields: { ...c.fields }, noise: { ...c.noise } };
}

/** Adds `b` into `into` (which the caller owns): `mergeComparisons` without new objects, for sums over many windows. */
export function addComparisonInto(into: ComparisonCounts, b: ComparisonCounts): void {
  into.total += b.total;
  into.matched += b.matched;
  into.mismatched += b.mismatched;
  into.noiseTotal += b.noiseTotal;
  addCountsInto(into.fields, b.fields);
  addCountsInto(into.noise, b.noise);
}

/** Adds `b` into `into` (which the caller owns). */
export function addPairedInto(into: PairedCounts, b: PairedCounts): void {
  into.bothErr += b.bothErr;
  into.darkOnlyErr += b.darkOnlyErr;
  into.baseOnlyErr += b.baseOnlyErr;
  into.slower += b.slower;
  into.faster += b.faster;
  into.tie += b.tie;
  // One side without the count (an older reporter) leaves the other's: what was counted stays known.
  if (b.lost !== undefined) into.lost = (into.lost ?? 0) + b.lost;
}

/** Adds `count` for `path` to a field map in place, folding paths past the bound into one entry. */
export function countField(fields: Record<string, number>, path: string, count = 1): void {
  const known = Object.hasOwn(fields, path);
  const key = known || Object.keys(fields).length < MAX_FIELDS_PER_WINDOW ? path : OTHER_FIELDS;
  fields[key] = (Object.hasOwn(fields, key) ? (fields[key] as number) : 0) + count;
}

function addCountsInto(into: Record<string, number>, b: Record<string, number>): void {
  for (const path of Object.keys(b)) {
    // A path already counted needs no bound check (which counts the keys).
    if (Object.hasOwn(into, path)) into[path] = (into[path] as number) + (b[path] as number);
    else countField(into, path, b[path]);
  }
}

// ---- wire format -------------------------------------------------------------------------------

const Count = z
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(0, "must not be negative")
  .max(Number.MAX_SAFE_INTEGER);
const Latency = z.number({ error: "must be a number" }).min(0, "must not be negative").max(MAX_LATENCY_MS, "must be at most 1e9 ms");

const SketchSchema = z
  .strictObject({
    count: z.number().min(0),
    sum: z.number().min(0),
    min: Latency.nullable(),
    max: Latency.nullable(),
    zeroCount: z.number().min(0),
    offset: z.number().int().min(-SKETCH_OFFSET_BOUND).max(SKETCH_OFFSET_BOUND),
    bins: z.array(z.number().min(0)).max(MAX_SKETCH_BINS, `holds at most ${MAX_SKETCH_BINS} bins`),
  })
  .refine((s) => Math.abs(s.bins.reduce((sum, n) => sum + n, 0) + s.zeroCount - s.count) < 1e-6, {
    error: "count must equal the sum of bins and zeroCount",
  });

export const SideSchema = z
  .strictObject({
    requests: Count,
    errors: Count,
    latency: SketchSchema,
    reservoir: z.array(Latency).max(RESERVOIR_CAPACITY, `holds at most ${RESERVOIR_CAPACITY} latencies`),
  })
  .refine((s) => s.errors <= s.requests, { error: "errors must not exceed requests", path: ["errors"] })
  .refine((s) => s.latency.count === s.requests, { error: "latency.count must equal requests", path: ["latency", "count"] });

/** Most raw latencies one side may carry in the simple form. */
export const MAX_RAW_LATENCIES = 10_000;

/**
 * The simple form of a side, for services that post their own observations: raw latencies, from
 * which the server builds the sketch and the reservoir. `requests` defaults to their number.
 */
const RawSideSchema = z
  .strictObject({
    requests: Count.optional(),
    errors: Count.default(0),
    latenciesMs: z.array(Latency).max(MAX_RAW_LATENCIES, `holds at most ${MAX_RAW_LATENCIES} latencies (send more windows, or sketches)`),
  })
  .refine((s) => s.requests === undefined || s.requests === s.latenciesMs.length, {
    error: "requests must equal the number of latenciesMs (or be left out)",
    path: ["requests"],
  })
  .refine((s) => s.errors <= s.latenciesMs.length, { error: "errors must not exceed requests", path: ["errors"] })
  .transform((s): SideWindow => {
    const sketch = new LatencySketch();
    const reservoir = new LatencyReservoir();
    for (const ms of s.latenciesMs) {
      sketch.record(ms);
      reservoir.record(ms);
    }
    return { requests: s.latenciesMs.length, errors: s.errors, latency: sketch.toJSON(), reservoir: reservoir.toArray() };
  });

const SIDE_DESCRIPTION =
  "One side: { requests, errors, latency: DDSketch JSON { count, sum, min, max, zeroCount, offset, bins }, reservoir: ms[] ≤ 256 }, " +
  "or the simple form { requests?, errors?, latenciesMs: ms[] ≤ 10 000 }; absent: nothing observed there";

/** A side in either form: a sketch, or raw `latenciesMs`. */
const SideInputSchema = z.unknown().transform((value, ctx): SideWindow => {
  const fast = checkSketchSide(value);
  if (fast !== undefined) return fast;
  const schema = typeof value === "object" && value !== null && "latenciesMs" in value ? RawSideSchema : SideSchema;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  return z.NEVER;
});

const FieldMap = z
  .record(z.string().min(1).max(512), Count)
  .refine((m) => Object.keys(m).length <= MAX_FIELDS_PER_WINDOW + 1, { error: `holds at most ${MAX_FIELDS_PER_WINDOW} paths` });

const ComparisonSchema = z
  .strictObject({
    total: Count,
    matched: Count,
    mismatched: Count,
    noiseTotal: Count,
    fields: FieldMap,
    noise: FieldMap,
  })
  .refine((c) => c.matched + c.mismatched === c.total, { error: "matched + mismatched must equal total" });

const DifferenceSchema = z.strictObject({
  path: z.string().max(512),
  location: z.string().max(1024),
  kind: z.enum(["changed", "added", "removed", "type"]),
  baseline: z.json().optional(),
  dark: z.json().optional(),
});

const SampleSchema = z.strictObject({
  at: IsoDateSchema,
  requestId: z.string().max(256).optional(),
  method: z.string().max(32).optional(),
  url: z.string().max(4096).optional(),
  baselineStatus: z.number().int().min(0).max(999).optional(),
  darkStatus: z.number().int().min(0).max(999).optional(),
  differences: z.array(DifferenceSchema).max(MAX_DIFFERENCES_PER_SAMPLE),
});

const PairedSchema = z
  .strictObject({
    bothErr: Count,
    darkOnlyErr: Count,
    baseOnlyErr: Count,
    slower: Count,
    faster: Count,
    tie: Count,
    lost: Count.optional(),
  })
  .refine((p) => p.bothErr + p.darkOnlyErr + p.baseOnlyErr <= pairCount(p), {
    error: "bothErr + darkOnlyErr + baseOnlyErr must not exceed the pairs (slower + faster + tie)",
  })
  .describe(
    "Shadow mode: outcomes of requests sent to both sides. Errors: bothErr, darkOnlyErr, baseOnlyErr; latency per pair: " +
      "slower (dark > 1.1 × base + 2 ms), faster (the mirror image) or tie; lost: mirrors meant and ended without a pair " +
      "(dropped at the in-flight bound, a breaker or the body limit, or left unpaired: stable's client left). Absent: no paired counters (split mode)",
  );

/**
 * The start of a window: a whole minute; on a server run with short minutes (`serve --minute-ms`,
 * tests and demos), a multiple of its minute since the epoch.
 */
function windowStart(minuteMs: number) {
  const message =
    minuteMs === MINUTE_MS
      ? "must be the start of a minute"
      : `must be the start of one of this server's ${minuteMs} ms minutes (a multiple of ${minuteMs} ms since the epoch)`;
  return IsoDateSchema.refine((text) => Date.parse(text) % minuteMs === 0, { error: message });
}

function windowSchema(minuteMs: number) {
  return z.strictObject({
    flag: KeySchema,
    source: z.enum(OBSERVATION_SOURCES, { error: `must be one of ${OBSERVATION_SOURCES.join(", ")}` }),
    route: z.string({ error: "must be a string" }).min(1, "must not be empty").max(256, "must be at most 256 characters"),
    start: windowStart(minuteMs),
    baseline: SideInputSchema.optional().describe(SIDE_DESCRIPTION),
    dark: SideInputSchema.optional().describe(SIDE_DESCRIPTION),
    comparison: ComparisonSchema.default(() => emptyComparison()),
    samples: z
      .array(SampleSchema)
      .max(MAX_SAMPLES_PER_WINDOW, `holds at most ${MAX_SAMPLES_PER_WINDOW} samples`)
      .default(() => []),
    paired: PairedSchema.optional(),
  });
}

function batchSchema(minuteMs: number) {
  return z.strictObject({
    instance: z.string().max(256).optional(),
    windows: z.array(windowSchema(minuteMs)).max(MAX_WINDOWS_PER_BATCH, `holds at most ${MAX_WINDOWS_PER_BATCH} windows`),
  });
}

export const ObservationWindowSchema = windowSchema(MINUTE_MS);
export const ObservationBatchSchema = batchSchema(MINUTE_MS);

/**
 * `build` kept per minute length: a server has one, so its short-minute batch schema is built once,
 * not on every posted batch (at most 16 kept, for tests that start many servers).
 */
export function byMinuteLength<T>(build: (minuteMs: number) => T): (minuteMs: number) => T {
  const built = new Map<number, T>();
  return (minuteMs) => {
    let value = built.get(minuteMs);
    if (value === undefined) {
      if (built.size >= 16) built.clear();
      value = build(minuteMs);
      built.set(minuteMs, value);
    }
    return value;
  };
}

const shortMinuteBatchSchema = byMinuteLength(batchSchema);

function batchSchemaOf(minuteMs: number): typeof ObservationBatchSchema {
  return minuteMs === MINUTE_MS ? ObservationBatchSchema : shortMinuteBatchSchema(minuteMs);
}

/**
 * Checks a posted batch and returns it with `start` in canonical ISO form; throws a
 * `ValidationError` naming every bad field (`windows[3].dark.errors: errors must not exceed
 * requests`). A side may come as raw `{ requests?, errors, latenciesMs }` (turned into a sketch and
 * a reservoir here) or be left out, and `comparison` and `samples` may be left out: a service
 * posting its own numbers needs only flag, source, route, start and one side's latencies. `start`
 * is a whole minute, or a multiple of `minuteMs` for a server run with short minutes.
 */
export function parseObservationBatch(input: unknown, options: { minuteMs?: number } = {}): ObservationBatch {
  const parsed = batchSchemaOf(options.minuteMs ?? MINUTE_MS).safeParse(input);
  if (!parsed.success) throw new ValidationError("observation batch", zodProblems(parsed.error, []));
  const problems: Problem[] = [];
  parsed.data.windows.forEach((w, i) => {
    if (w.paired === undefined) return;
    // Each pair is one request on each side: it cannot count more than the sides did.
    const pairs = pairCount(w.paired);
    for (const side of SIDES) {
      const requests = w[side]?.requests ?? 0;
      if (pairs > requests)
        problems.push({ path: `windows[${i}].paired`, message: `holds ${pairs} pairs but ${side} has ${requests} requests` });
    }
    const { bothErr, darkOnlyErr, baseOnlyErr } = w.paired;
    if (bothErr + darkOnlyErr > (w.dark?.errors ?? 0))
      problems.push({ path: `windows[${i}].paired.darkOnlyErr`, message: "bothErr + darkOnlyErr must not exceed dark.errors" });
    if (bothErr + baseOnlyErr > (w.baseline?.errors ?? 0))
      problems.push({ path: `windows[${i}].paired.baseOnlyErr`, message: "bothErr + baseOnlyErr must not exceed baseline.errors" });
  });
  if (problems.length > 0) throw new ValidationError("observation batch", problems);
  const windows = parsed.data.windows.map(
    (w): ObservationWindow => ({
      ...w,
      start: new Date(Date.parse(w.start)).toISOString(),
      // Canonical times, so that samples sort newest first as text whatever form they were sent in.
      samples: w.samples.map((s) => ({ ...s, at: new Date(Date.parse(s.at)).toISOString() })),
      // An absent side is one where nothing was observed.
      baseline: w.baseline ?? emptySide(),
      dark: w.dark ?? emptySide(),
    }),
  );
  return { instance: parsed.data.instance, windows };
}
