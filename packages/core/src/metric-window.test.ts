import { describe, expect, it } from "vitest";
import { DistinctSketch } from "./distinct-sketch.js";
import { ValidationError } from "./errors.js";
import type { Flag } from "./flag-schema.js";
import {
  attributeEvent,
  businessMinutes,
  MetricCounter,
  mergeExposureWindows,
  mergeMetricWindows,
  parseMetricBatch,
} from "./metric-window.js";
import type { MetricDefinition } from "./protocol/metrics.js";
import { rampFlag } from "./ramp/ramp-flag.js";
import { compile } from "./snapshot.js";
import { findSubject } from "./test-builders.js";

const flag = {
  key: "checkout",
  enabled: true,
  variants: { stable: "stable", dark: "dark" },
  offVariant: "stable",
  fallthrough: {
    split: [
      { variant: "dark", weight: 5 },
      { variant: "stable", weight: 95 },
    ],
  },
};
const metric: MetricDefinition = {
  key: "purchase_conversion",
  flagKey: "checkout",
  event: "purchase",
  kind: "conversion",
  direction: "up",
  tolerance: 0.02,
  critical: true,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};
const T0 = Date.parse("2026-01-01T10:00:00Z");

describe("attributeEvent", () => {
  it("follows the subject's position across a ramp step: baseline at 5 %, dark at 25 %", () => {
    const at5 = compile({ flags: [flag] });
    const at25 = compile({ flags: [rampFlag(at5.flag("checkout") as Flag, { phase: "serve", percentage: 25 })] });
    const moving = findSubject("checkout", (p) => p >= 5 && p < 25);
    const early = findSubject("checkout", (p) => p < 5);
    const late = findSubject("checkout", (p) => p >= 25);
    const variantOf = (snapshot: typeof at5, subject: string) =>
      attributeEvent(snapshot, [metric], "purchase", { id: subject }).map((a) => a.variant);
    expect([variantOf(at5, moving), variantOf(at25, moving)]).toEqual([["stable"], ["dark"]]);
    expect([variantOf(at5, early), variantOf(at25, early)]).toEqual([["dark"], ["dark"]]);
    expect([variantOf(at5, late), variantOf(at25, late)]).toEqual([["stable"], ["stable"]]);
  });

  it("attributes only the metric's event, and nothing without a subject or for an unknown flag", () => {
    const snapshot = compile({ flags: [flag] });
    expect(attributeEvent(snapshot, [metric], "signup", { id: "u1" })).toEqual([]);
    expect(attributeEvent(snapshot, [metric], "purchase", { country: "NL" })).toEqual([]);
    expect(attributeEvent(snapshot, [{ ...metric, flagKey: "nope" }], "purchase", { id: "u1" })).toEqual([]);
    expect(attributeEvent(snapshot, [metric], "purchase", { targetingKey: "u1" })).toHaveLength(1);
  });
});

describe("MetricCounter and businessMinutes", () => {
  function simulate(counters: MetricCounter[]) {
    const snapshot = compile({ flags: [flag] });
    for (let i = 0; i < 3_000; i++) {
      const counter = counters[i % counters.length] as MetricCounter;
      const context = { id: `s${i % 1_000}` };
      const at = T0 + (i % 2) * 60_000;
      const exposure = attributeEvent(snapshot, [metric], "purchase", context)[0];
      if (exposure === undefined) throw new Error("no attribution");
      counter.expose("checkout", exposure.variant, exposure.subject, at);
      if (i % 7 === 0) counter.track(exposure, i % 3, at);
    }
  }

  it("merges exactly: windows from three reporters add up to the windows of one", () => {
    const one = new MetricCounter();
    simulate([one]);
    const three = [new MetricCounter(), new MetricCounter(), new MetricCounter()];
    simulate(three);
    const single = one.drain();
    const parts = three.map((c) => c.drain());
    const merged = businessMinutes(
      metric,
      "dark",
      parts.flatMap((p) => p.exposures),
      parts.flatMap((p) => p.windows),
    );
    expect(merged).toEqual(businessMinutes(metric, "dark", single.exposures, single.windows));
    // and the pairwise merges agree with the sketches of the whole
    const byKey = new Map<string, (typeof single.windows)[number]>();
    for (const w of parts.flatMap((p) => p.windows)) {
      const key = `${w.variant}|${w.start}`;
      const seen = byKey.get(key);
      byKey.set(key, seen === undefined ? w : mergeMetricWindows(seen, w));
    }
    for (const w of single.windows) {
      const m = byKey.get(`${w.variant}|${w.start}`);
      expect({ ...m, subjects: DistinctSketch.from(m?.subjects).toData() }).toEqual(w);
    }
    const e = parts.flatMap((p) => p.exposures).filter((x) => x.variant === "stable" && x.start === single.exposures[0]?.start);
    const all = e.reduce(mergeExposureWindows);
    expect(all.evaluations).toBe(single.exposures.find((x) => x.variant === "stable" && x.start === all.start)?.evaluations);
  });

  it("counts exposed and converted subjects per arm and minute", () => {
    const counter = new MetricCounter();
    const a = { flag: "checkout", metric: metric.key, variant: "dark", subject: "a" };
    counter.expose("checkout", "dark", "a", T0);
    counter.expose("checkout", "dark", "a", T0 + 1);
    counter.expose("checkout", "dark", "b", T0);
    counter.expose("checkout", "stable", "c", T0);
    counter.track(a, 10, T0);
    counter.track(a, 5, T0 + 2);
    counter.cover([{ flag: "checkout", metric: metric.key, variants: ["dark", "stable"] }], T0);
    const batch = counter.drain();
    expect(counter.size).toBe(0);
    expect(businessMinutes(metric, "dark", batch.exposures, batch.windows)).toEqual([
      {
        start: "2026-01-01T10:00:00.000Z",
        dark: { exposed: 2, converted: 1, events: 2, sum: 15, sumSq: 125 },
        base: { exposed: 1, converted: 0, events: 0, sum: 0, sumSq: 0 },
      },
    ]);
  });
});

describe("parseMetricBatch", () => {
  it("names the bad field", () => {
    const bad = {
      windows: [
        { flag: "checkout", metric: "Bad Name", variant: "dark", start: "2026-01-01T10:00:30Z", events: -1, subjects: { hashes: [] } },
      ],
    };
    try {
      parseMetricBatch(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).problems.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(["windows[0].metric", "windows[0].start", "windows[0].events"]));
    }
  });
});
