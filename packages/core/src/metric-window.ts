import { z } from "zod";
import { subjectOf } from "./context.js";
import { DistinctSketch, type DistinctSketchData, DistinctSketchSchema, emptyDistinct, mergeDistinct } from "./distinct-sketch.js";
import { ValidationError } from "./errors.js";
import { IsoDateSchema, KeySchema } from "./flag-schema.js";
import type { BusinessMetricArm, BusinessMetricMinute } from "./judge/business-metric.js";
import { byMinuteLength, minuteOf } from "./observation-window.js";
import { EventNameSchema, type MetricDefinition, MetricKeySchema } from "./protocol/metrics.js";
import type { Snapshot } from "./snapshot.js";
import { zodProblems } from "./validate.js";

/**
 * Business-metric windows (docs/architecture.md#business-metrics): what SDKs and the server count
 * per minute so that the judge can compare the arms of a flag without joining an exposure log.
 */

/** Distinct subjects that evaluated a flag and got a variant, in one minute. */
export interface ExposureWindow {
  flag: string;
  variant: string;
  start: string;
  /** Evaluations counted (a subject evaluating twice counts twice here, once in `subjects`). */
  evaluations: number;
  subjects: DistinctSketchData;
}

/**
 * A metric's events attributed to one variant of its flag in one minute. A window that exists was
 * reported, even with no events: coverage, as for observation windows.
 */
export interface MetricWindow {
  flag: string;
  metric: string;
  variant: string;
  start: string;
  events: number;
  /** Σ value and Σ value² of the events' values (an event without a value counts as 1). */
  sum: number;
  sumSq: number;
  /** Distinct subjects with at least one event. */
  subjects: DistinctSketchData;
}

export interface MetricBatch {
  instance?: string | undefined;
  exposures: ExposureWindow[];
  windows: MetricWindow[];
}

export const MAX_METRIC_WINDOWS_PER_BATCH = 1000;

const MINUTE_MS = 60_000;
/** A whole minute; with a server's short minutes (`minuteMs`, tests and demos) the start of one of those. */
const minuteSchema = (minuteMs: number) =>
  IsoDateSchema.refine((text) => Date.parse(text) % minuteMs === 0, {
    error: minuteMs === MINUTE_MS ? "must be the start of a minute" : `must be the start of one of this server's ${minuteMs} ms minutes`,
  });
const MinuteSchema = minuteSchema(MINUTE_MS);
const Count = z.number({ error: "must be a number" }).int("must be an integer").min(0, "must be ≥ 0");
const Finite = z.number({ error: "must be a number" }).refine(Number.isFinite, "must be finite");

export const ExposureWindowSchema = z.strictObject({
  flag: KeySchema,
  variant: KeySchema,
  start: MinuteSchema,
  evaluations: Count.default(0),
  subjects: DistinctSketchSchema,
});

export const MetricWindowSchema = z.strictObject({
  flag: KeySchema,
  metric: MetricKeySchema,
  variant: KeySchema,
  start: MinuteSchema,
  events: Count,
  sum: Finite.default(0),
  sumSq: Finite.min(0, "must be ≥ 0").default(0),
  subjects: DistinctSketchSchema,
});

/** `POST /api/v1/sdk/metrics`: an SDK's metric and exposure windows. */
export const MetricBatchSchema = z.strictObject({
  instance: z.string().max(256).optional(),
  exposures: z
    .array(ExposureWindowSchema)
    .max(MAX_METRIC_WINDOWS_PER_BATCH, `holds at most ${MAX_METRIC_WINDOWS_PER_BATCH} windows`)
    .default(() => []),
  windows: z
    .array(MetricWindowSchema)
    .max(MAX_METRIC_WINDOWS_PER_BATCH, `holds at most ${MAX_METRIC_WINDOWS_PER_BATCH} windows`)
    .default(() => []),
});

function shortMinuteBatchSchema(minuteMs: number) {
  return MetricBatchSchema.extend({
    exposures: z
      .array(ExposureWindowSchema.extend({ start: minuteSchema(minuteMs) }))
      .max(MAX_METRIC_WINDOWS_PER_BATCH)
      .default(() => []),
    windows: z
      .array(MetricWindowSchema.extend({ start: minuteSchema(minuteMs) }))
      .max(MAX_METRIC_WINDOWS_PER_BATCH)
      .default(() => []),
  });
}

const shortMinuteSchemaOf = byMinuteLength(shortMinuteBatchSchema);

/** Checks a posted batch; throws a `ValidationError` naming every bad field. Starts come back canonical. */
export function parseMetricBatch(input: unknown, options: { minuteMs?: number | undefined } = {}): MetricBatch {
  const minuteMs = options.minuteMs ?? MINUTE_MS;
  const schema = minuteMs === MINUTE_MS ? MetricBatchSchema : shortMinuteSchemaOf(minuteMs);
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationError("metric batch", zodProblems(parsed.error, []));
  const canonical = <T extends { start: string }>(w: T): T => ({ ...w, start: new Date(Date.parse(w.start)).toISOString() });
  return { instance: parsed.data.instance, exposures: parsed.data.exposures.map(canonical), windows: parsed.data.windows.map(canonical) };
}

export function exposureKey(w: Pick<ExposureWindow, "flag" | "variant" | "start">): string {
  return JSON.stringify([w.flag, w.variant, w.start]);
}

export function metricWindowKey(w: Pick<MetricWindow, "flag" | "metric" | "variant" | "start">): string {
  return JSON.stringify([w.flag, w.metric, w.variant, w.start]);
}

/** Adds two windows of the same key: counts and sums add, sketches take the union. */
export function mergeExposureWindows(a: ExposureWindow, b: ExposureWindow): ExposureWindow {
  return { ...a, evaluations: a.evaluations + b.evaluations, subjects: mergeDistinct(a.subjects, b.subjects) };
}

/**
 * One item per key, items of the same key merged (e.g. `metricWindowKey` with `mergeMetricWindows`),
 * in key order: what a reporter sends as one batch and a store writes in one order (no deadlock).
 */
export function collapseByKey<T>(items: readonly T[], keyOf: (item: T) => string, merge: (a: T, b: T) => T): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const seen = byKey.get(key);
    byKey.set(key, seen === undefined ? item : merge(seen, item));
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

export function mergeMetricWindows(a: MetricWindow, b: MetricWindow): MetricWindow {
  return {
    ...a,
    events: a.events + b.events,
    sum: a.sum + b.sum,
    sumSq: a.sumSq + b.sumSq,
    subjects: mergeDistinct(a.subjects, b.subjects),
  };
}

// ---- attribution ---------------------------------------------------------------------------------

/** One event's share of one metric: the variant the tracking context gets for the metric's flag. */
export interface Attribution {
  flag: string;
  metric: string;
  variant: string;
  subject: string;
}

/**
 * Attributes an event, at the moment it is tracked, to the variant the same context gets for every
 * flag with a metric on that event: bucketing is deterministic, so no exposure log is needed. A
 * context without the flag's subject, or a flag the snapshot lacks or errs on, gets no attribution.
 */
export function attributeEvent(snapshot: Snapshot, metrics: Iterable<MetricDefinition>, event: string, context: unknown): Attribution[] {
  const attributions: Attribution[] = [];
  for (const metric of metrics) {
    if (metric.event !== event) continue;
    const exposure = exposureOf(snapshot, metric.flagKey, context);
    if (exposure !== undefined) attributions.push({ flag: metric.flagKey, metric: metric.key, ...exposure });
  }
  return attributions;
}

/** The variant and subject of an evaluation of `flagKey` for `context`, when it has both. */
export function exposureOf(snapshot: Snapshot, flagKey: string, context: unknown): { variant: string; subject: string } | undefined {
  const flag = snapshot.flag(flagKey);
  if (flag === undefined || typeof context !== "object" || context === null) return undefined;
  const subject = subjectOf(context as Record<string, unknown>, flag.bucketBy);
  if (typeof subject !== "string") return undefined;
  const variant = snapshot.evaluate(flagKey, context).variant;
  return variant === undefined ? undefined : { variant, subject };
}

// ---- counting --------------------------------------------------------------------------------------

/**
 * Counts exposures and attributed events into windows; `drain()` hands them over. `cover()` adds
 * empty windows for the minute, so that a reporter that saw nothing still says so.
 */
export class MetricCounter {
  /** The length of a window in ms: a minute, or the server's short minute (learned from its answer). */
  minuteMs = MINUTE_MS;
  private exposures = new Map<string, { window: ExposureWindow; sketch: DistinctSketch }>();
  private windows = new Map<string, { window: MetricWindow; sketch: DistinctSketch }>();

  private startOf(atMs: number): string {
    return this.minuteMs === MINUTE_MS ? minuteOf(atMs) : new Date(Math.floor(atMs / this.minuteMs) * this.minuteMs).toISOString();
  }

  expose(flag: string, variant: string, subject: string, atMs: number): void {
    const start = this.startOf(atMs);
    const key = exposureKey({ flag, variant, start });
    let entry = this.exposures.get(key);
    if (entry === undefined) {
      entry = { window: { flag, variant, start, evaluations: 0, subjects: emptyDistinct() }, sketch: new DistinctSketch() };
      this.exposures.set(key, entry);
    }
    entry.window.evaluations++;
    entry.sketch.add(subject);
  }

  track(attribution: Attribution, value: number | undefined, atMs: number): void {
    const entry = this.metricEntry(attribution, this.startOf(atMs));
    const v = value === undefined || !Number.isFinite(value) ? 1 : value;
    entry.window.events++;
    entry.window.sum += v;
    entry.window.sumSq += v * v;
    entry.sketch.add(attribution.subject);
  }

  /** Empty windows for each (flag, metric, variant) at the minute of `atMs`, where none exist. */
  cover(metrics: Iterable<{ flag: string; metric: string; variants: readonly string[] }>, atMs: number): void {
    const start = this.startOf(atMs);
    for (const { flag, metric, variants } of metrics) for (const variant of variants) this.metricEntry({ flag, metric, variant }, start);
  }

  get size(): number {
    return this.exposures.size + this.windows.size;
  }

  drain(): MetricBatch {
    const exposures = [...this.exposures.values()].map(({ window, sketch }) => ({ ...window, subjects: sketch.toData() }));
    const windows = [...this.windows.values()].map(({ window, sketch }) => ({ ...window, subjects: sketch.toData() }));
    this.exposures.clear();
    this.windows.clear();
    return { exposures, windows };
  }

  private metricEntry(a: Pick<Attribution, "flag" | "metric" | "variant">, start: string) {
    const key = metricWindowKey({ ...a, start });
    let entry = this.windows.get(key);
    if (entry === undefined) {
      const window: MetricWindow = {
        flag: a.flag,
        metric: a.metric,
        variant: a.variant,
        start,
        events: 0,
        sum: 0,
        sumSq: 0,
        subjects: emptyDistinct(),
      };
      entry = { window, sketch: new DistinctSketch() };
      this.windows.set(key, entry);
    }
    return entry;
  }
}

// ---- the judge's input -------------------------------------------------------------------------------

/** One arm of one minute: exposed and converted subjects, events and the sums of their values (what the judge reads). */
export type BusinessArmCounts = BusinessMetricArm;

export type BusinessMinuteCounts = BusinessMetricMinute;

/**
 * Turns one metric's windows and its flag's exposures into per-minute arms: `darkVariant` is the
 * dark arm, every other variant the baseline (sketches merge, so a subject in two variants of the
 * baseline counts once). A minute appears when anything was reported for it.
 */
export function businessMinutes(
  metric: Pick<MetricDefinition, "key" | "flagKey">,
  darkVariant: string,
  exposures: Iterable<ExposureWindow>,
  windows: Iterable<MetricWindow>,
): BusinessMinuteCounts[] {
  type Arm = { exposed: DistinctSketch; converted: DistinctSketch; events: number; sum: number; sumSq: number };
  const newArm = (): Arm => ({ exposed: new DistinctSketch(), converted: new DistinctSketch(), events: 0, sum: 0, sumSq: 0 });
  const minutes = new Map<string, { base: Arm; dark: Arm }>();
  const armOf = (start: string, variant: string): Arm => {
    const key = new Date(Date.parse(start)).toISOString();
    let minute = minutes.get(key);
    if (minute === undefined) {
      minute = { base: newArm(), dark: newArm() };
      minutes.set(key, minute);
    }
    return variant === darkVariant ? minute.dark : minute.base;
  };
  for (const e of exposures) if (e.flag === metric.flagKey) armOf(e.start, e.variant).exposed.merge(DistinctSketch.from(e.subjects));
  for (const w of windows) {
    if (w.flag !== metric.flagKey || w.metric !== metric.key) continue;
    const arm = armOf(w.start, w.variant);
    arm.converted.merge(DistinctSketch.from(w.subjects));
    arm.events += w.events;
    arm.sum += w.sum;
    arm.sumSq += w.sumSq;
  }
  const counts = (arm: Arm): BusinessArmCounts => ({
    exposed: arm.exposed.count(),
    converted: arm.converted.count(),
    events: arm.events,
    sum: arm.sum,
    sumSq: arm.sumSq,
  });
  return [...minutes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([start, m]) => ({ start, base: counts(m.base), dark: counts(m.dark) }));
}

/** The events batch's own limits (`POST /api/v1/events`). */
export const MAX_EVENTS_PER_BATCH = 1000;

const ContextSchema = z.record(z.string(), z.unknown(), { error: "must be an object of attributes" });

/** `POST /api/v1/events`: events (and exposures) from services that do not run the SDK, attributed by the server. */
export const EventBatchSchema = z.strictObject({
  events: z
    .array(
      z.strictObject({
        event: EventNameSchema,
        context: ContextSchema,
        value: Finite.optional(),
        at: IsoDateSchema.optional(),
      }),
    )
    .max(MAX_EVENTS_PER_BATCH, `holds at most ${MAX_EVENTS_PER_BATCH} events`)
    .default(() => []),
  exposures: z
    .array(z.strictObject({ flag: KeySchema, context: ContextSchema, at: IsoDateSchema.optional() }))
    .max(MAX_EVENTS_PER_BATCH, `holds at most ${MAX_EVENTS_PER_BATCH} exposures`)
    .default(() => []),
});
export type EventBatch = z.output<typeof EventBatchSchema>;
