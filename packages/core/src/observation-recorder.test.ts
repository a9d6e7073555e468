import { describe, expect, it } from "vitest";
import type { ComparisonResult, Difference } from "./difference.js";
import { ObservationRecorder } from "./observation-recorder.js";
import { totalWindows } from "./observation-summary.js";
import { addPairedInto, type ObservationWindow, parseObservationBatch } from "./observation-window.js";

const T0 = Date.parse("2026-11-22T07:31:10Z");
const FLAG = "checkout-v2";
const ROUTE = "GET /cart";

function diff(path: string, baseline: unknown, dark: unknown): Difference {
  return { path, location: path, kind: "changed", baseline, dark };
}

function result(...differences: Difference[]): ComparisonResult {
  return { match: differences.length === 0, differences, truncated: false };
}

function recorder(now = T0, maxWindows?: number): ObservationRecorder {
  return new ObservationRecorder({ source: "proxy", now: () => now, ...(maxWindows === undefined ? {} : { maxWindows }) });
}

describe("ObservationRecorder", () => {
  it("collects requests per side into the minute's window", () => {
    const r = recorder();
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "baseline", latencyMs: 10 });
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 30, error: true });
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 20, at: T0 + 60_000 });
    const windows = r.drain();
    expect(windows.map((w) => [w.start, w.baseline.requests, w.dark.requests, w.dark.errors])).toEqual([
      ["2026-11-22T07:31:00.000Z", 1, 1, 1],
      ["2026-11-22T07:32:00.000Z", 0, 1, 0],
    ]);
    expect(windows[0]?.dark.reservoir).toEqual([30]);
    expect(r.drain()).toEqual([]);
    // What it drains is what the server accepts.
    expect(() => parseObservationBatch({ windows })).not.toThrow();
  });

  it("counts matches, mismatches and differing paths", () => {
    const r = recorder();
    expect(r.recordComparison({ flag: FLAG, route: ROUTE, result: result() }).mismatch).toBe(false);
    const verdict = r.recordComparison({
      flag: FLAG,
      route: ROUTE,
      result: result(diff("body.price", 10, 12), diff("body.items[].sku", "a", "b")),
    });
    expect(verdict.mismatch).toBe(true);
    const [w] = r.drain();
    expect(w?.comparison).toEqual({
      total: 2,
      matched: 1,
      mismatched: 1,
      noiseTotal: 0,
      fields: { "body.price": 1, "body.items[].sku": 1 },
      noise: {},
    });
    expect(w?.samples).toHaveLength(1);
    expect(w?.samples[0]?.differences.map((d) => d.path)).toEqual(["body.price", "body.items[].sku"]);
  });

  it("counts a path once per comparison however many elements differ there", () => {
    const r = recorder();
    r.recordComparison({ flag: FLAG, route: ROUTE, result: result(diff("body.items[].price", 1, 2), diff("body.items[].price", 3, 4)) });
    expect(r.drain()[0]?.comparison.fields).toEqual({ "body.items[].price": 1 });
  });

  it("filters a field that differs between two baselines as noise (Diffy's rule)", () => {
    const r = recorder();
    for (let i = 0; i < 50; i++) {
      const raw = result(diff("body.requestId", `s${i}`, `d${i}`), ...(i % 2 === 0 ? [diff("body.price", 10, 12)] : []));
      const noise = result(diff("body.requestId", `s${i}`, `t${i}`));
      const verdict = r.recordComparison({ flag: FLAG, route: ROUTE, result: raw, noise });
      expect(verdict.mismatch).toBe(i % 2 === 0);
      expect(verdict.noise.map((d) => d.path)).toEqual(["body.requestId"]);
    }
    const [w] = r.drain();
    expect(w?.comparison).toMatchObject({ total: 50, matched: 25, mismatched: 25, noiseTotal: 50 });
    expect(w?.comparison.fields).toEqual({ "body.requestId": 50, "body.price": 25 });
    expect(w?.comparison.noise).toEqual({ "body.requestId": 50 });
    expect(w?.samples.every((s) => s.differences.every((d) => d.path === "body.price"))).toBe(true);
  });

  it("redacts secrets in samples before they leave", () => {
    const r = recorder();
    r.recordComparison({
      flag: FLAG,
      route: ROUTE,
      result: result(
        diff("body.owner", "ann@example.com", "bob@example.com"),
        diff("headers.authorization", "Bearer abc.def", "Bearer xyz"),
      ),
      sample: { requestId: "req-1", method: "GET", url: "/cart?email=ann@example.com" },
    });
    const text = JSON.stringify(r.drain());
    expect(text).not.toContain("example.com");
    expect(text).not.toContain("abc.def");
    expect(text).toContain("req-1");
  });

  it("stays within its bound of open windows and counts what it drops", () => {
    const r = recorder(T0, 2);
    for (const route of ["a", "b", "c", "d"]) r.recordRequest({ flag: FLAG, route, side: "baseline", latencyMs: 1 });
    expect(r.pending).toBe(2);
    expect(r.dropped).toBe(2);
  });

  it("restores windows after a failed send, merging with what arrived since", () => {
    const r = recorder();
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 5 });
    r.recordComparison({ flag: FLAG, route: ROUTE, result: result(diff("body.x", 1, 2)) });
    const failed = r.drain();
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 7, error: true });
    r.restore(failed);
    const [w] = r.drain();
    expect(w?.dark).toMatchObject({ requests: 2, errors: 1 });
    expect(w?.dark.latency.count).toBe(2);
    expect(w?.comparison).toMatchObject({ total: 1, mismatched: 1, fields: { "body.x": 1 } });
    expect(w?.samples).toHaveLength(1);
  });

  it("totals windows of two recorders exactly", () => {
    const a = recorder();
    const b = recorder();
    for (let i = 0; i < 300; i++) a.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: i, error: i % 10 === 0 });
    for (let i = 0; i < 200; i++) b.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: i, error: i % 4 === 0 });
    const totals = totalWindows([...a.drain(), ...b.drain()]);
    expect(totals.dark).toMatchObject({ requests: 500, errors: 30 + 50 });
    expect(totals.dark.latency.count).toBe(500);
    expect(totals.dark.reservoir).toHaveLength(256);
  });

  it("keeps every window within the wire format, whatever the latencies, paths and values", () => {
    const r = recorder();
    for (const ms of [1e-300, Number.MIN_VALUE, 1e-9, 0.5, 3, 1e6, 5e9, Number.MAX_VALUE, Number.POSITIVE_INFINITY, -1, Number.NaN]) {
      r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: ms });
    }
    const deepPath = `body${".level".repeat(200)}`;
    const huge = Array.from({ length: 50_000 }, (_, i) => ({ id: i }));
    r.recordComparison({
      flag: FLAG,
      route: ROUTE,
      result: result({ path: deepPath, location: `${deepPath}${"[12345]".repeat(200)}`, kind: "added", dark: huge }),
    });
    const windows = r.drain();
    const batch = parseObservationBatch({ windows });
    const [w] = batch.windows;
    expect(w?.dark.requests).toBe(11);
    expect(w?.dark.latency.bins.length).toBeLessThan(4096);
    expect(Object.keys(w?.comparison.fields ?? {})[0]?.length).toBeLessThanOrEqual(512);
    expect(JSON.stringify(w?.samples).length).toBeLessThan(5000);
  });

  it("hides secrets held in object keys of counted paths", () => {
    const r = recorder();
    r.recordComparison({ flag: FLAG, route: ROUTE, result: result(diff('body.byEmail["ann@example.com"]', 1, 2)) });
    const text = JSON.stringify(r.drain());
    expect(text).not.toContain("ann@example.com");
    expect(text).toContain('body.byEmail[\\"[REDACTED]\\"]');
  });

  it("holds a bounded amount per window however many requests it sees", () => {
    const r = recorder();
    let seed = 1;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 100_000; i++) r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 1e-3 + random() * 1e8 });
    const [w] = r.drain();
    expect(w?.dark.reservoir).toHaveLength(256);
    expect(w?.dark.latency.bins.length).toBeLessThan(4096);
    expect(JSON.stringify(w).length).toBeLessThan(64 * 1024);
  });
});

describe("ObservationRecorder, shadow pairs and coverage", () => {
  it("records a pair as a request on each side plus its outcome", () => {
    const r = recorder();
    r.recordPair({ flag: FLAG, route: ROUTE, baselineMs: 10, darkMs: 30, darkError: true });
    r.recordPair({ flag: FLAG, route: ROUTE, baselineMs: 10, darkMs: 10, baselineError: true, darkError: true });
    r.recordPair({ flag: FLAG, route: ROUTE, baselineMs: 40, darkMs: 10, baselineError: true });
    r.recordPair({ flag: FLAG, route: ROUTE, baselineMs: 10, darkMs: 11 });
    const [w] = r.drain();
    expect(w?.baseline).toMatchObject({ requests: 4, errors: 2 });
    expect(w?.dark).toMatchObject({ requests: 4, errors: 2 });
    expect(w?.dark.latency.sum).toBe(61);
    expect(w?.paired).toEqual({ bothErr: 1, darkOnlyErr: 1, baseOnlyErr: 1, slower: 1, faster: 1, tie: 2, lost: 0 });
    expect(() => parseObservationBatch({ windows: [w] })).not.toThrow();
  });

  it("keeps paired counters through a failed send", () => {
    const r = recorder();
    r.recordPair({ flag: FLAG, route: ROUTE, baselineMs: 10, darkMs: 30, darkError: true });
    const failed = r.drain();
    r.recordPair({ flag: FLAG, route: ROUTE, baselineMs: 10, darkMs: 10 });
    r.restore(failed);
    expect(r.drain()[0]?.paired).toEqual({ bothErr: 0, darkOnlyErr: 1, baseOnlyErr: 0, slower: 1, faster: 0, tie: 1, lost: 0 });
  });

  it("counts lost mirrors in the window's paired counters, beside its pairs and alone", () => {
    const r = recorder();
    r.recordLostMirror({ flag: FLAG, route: ROUTE });
    r.recordLostMirror({ flag: FLAG, route: "GET /other" });
    r.recordPair({ flag: FLAG, route: ROUTE, baselineMs: 10, darkMs: 10 });
    r.recordLostMirror({ flag: FLAG, route: ROUTE });
    const windows = r.drain();
    const byRoute = Object.fromEntries(windows.map((w) => [w.route, w]));
    expect(byRoute[ROUTE]?.paired).toEqual({ bothErr: 0, darkOnlyErr: 0, baseOnlyErr: 0, slower: 0, faster: 0, tie: 1, lost: 2 });
    // A lost mirror is no request on either side: only its count travels.
    expect(byRoute["GET /other"]?.baseline.requests).toBe(0);
    expect(byRoute["GET /other"]?.paired).toMatchObject({ tie: 0, lost: 1 });
    expect(parseObservationBatch({ windows }).windows.map((w) => w.paired?.lost)).toEqual(windows.map((w) => w.paired?.lost));
  });

  it("keeps lost mirrors through a failed send, and an older reporter's window without them leaves them known", () => {
    const r = recorder();
    r.recordLostMirror({ flag: FLAG, route: ROUTE });
    const failed = r.drain();
    r.recordLostMirror({ flag: FLAG, route: ROUTE });
    r.restore(failed);
    const old = { bothErr: 0, darkOnlyErr: 0, baseOnlyErr: 0, slower: 1, faster: 0, tie: 0 };
    r.restore([{ ...failed[0], paired: old } as ObservationWindow]);
    expect(r.drain()[0]?.paired).toMatchObject({ slower: 1, lost: 2 });
    // Put back alone, an older reporter's window stays without the count: not counted is not 0.
    const fresh = recorder();
    fresh.restore([{ ...failed[0], paired: old } as ObservationWindow]);
    expect(fresh.drain()[0]?.paired).not.toHaveProperty("lost");
    const alone = { ...old };
    addPairedInto(alone, { ...old, lost: 4 });
    expect(alone).toMatchObject({ slower: 2, lost: 4 });
  });

  it("refuses a lost count that is not a whole, non-negative number, naming it", () => {
    const w = recorder();
    w.recordLostMirror({ flag: FLAG, route: ROUTE });
    const [window] = w.drain();
    for (const lost of [-1, 1.5, "2"]) {
      const bad = { ...window, paired: { ...window?.paired, lost } };
      expect(() => parseObservationBatch({ windows: [bad] })).toThrow(/paired\.lost/);
    }
  });

  it("reports every minute of a watched flag, with zero requests when no traffic came", () => {
    let now = T0;
    const r = new ObservationRecorder({ source: "proxy", now: () => now });
    r.watch(FLAG, ROUTE);
    expect(r.drain().map((w) => [w.start, w.baseline.requests, w.dark.requests])).toEqual([["2026-11-22T07:31:00.000Z", 0, 0]]);
    now = T0 + 3 * 60_000;
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 5 });
    const windows = r.drain();
    expect(windows.map((w) => [w.start, w.dark.requests]).sort()).toEqual([
      ["2026-11-22T07:32:00.000Z", 0],
      ["2026-11-22T07:33:00.000Z", 0],
      ["2026-11-22T07:34:00.000Z", 1],
    ]);
    expect(() => parseObservationBatch({ windows })).not.toThrow();
    r.unwatch(FLAG, ROUTE);
    now = T0 + 10 * 60_000;
    expect(r.drain()).toEqual([]);
  });
});

describe("ObservationRecorder with short minutes (a server run with `serve --minute-ms`)", () => {
  it("stamps each window with its period's start, a multiple of minuteMs, and the server takes them at that minute", () => {
    const r = new ObservationRecorder({ source: "proxy", now: () => T0, minuteMs: 1_000 });
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "baseline", latencyMs: 10, at: T0 + 250 });
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 10, at: T0 + 999 });
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 10, at: T0 + 1_000 });
    const windows = r.drain();
    expect(windows.map((w) => [w.start, w.baseline.requests, w.dark.requests])).toEqual([
      ["2026-11-22T07:31:10.000Z", 1, 1],
      ["2026-11-22T07:31:11.000Z", 0, 1],
    ]);
    expect(() => parseObservationBatch({ windows }, { minuteMs: 1_000 })).not.toThrow();
    expect(() => parseObservationBatch({ windows })).toThrow(/windows\[0\]\.start: must be the start of a minute/);
  });

  it("covers every quiet period of a watched route since the last drain", () => {
    let now = T0;
    const r = new ObservationRecorder({ source: "sdk", now: () => now, minuteMs: 500 });
    r.watch(FLAG, ROUTE);
    expect(r.drain().map((w) => w.start)).toEqual(["2026-11-22T07:31:10.000Z"]);
    now = T0 + 1_600;
    expect(r.drain().map((w) => [w.start, w.baseline.requests])).toEqual([
      ["2026-11-22T07:31:10.500Z", 0],
      ["2026-11-22T07:31:11.000Z", 0],
      ["2026-11-22T07:31:11.500Z", 0],
    ]);
  });

  it("takes a new minute for windows opened from then on (a reporter that learned its server's)", () => {
    const r = recorder();
    expect(r.minute).toBe(60_000);
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 10 });
    r.setMinute(2_000);
    r.recordRequest({ flag: FLAG, route: ROUTE, side: "dark", latencyMs: 10, at: T0 + 3_000 });
    expect(r.drain().map((w) => w.start)).toEqual(["2026-11-22T07:31:00.000Z", "2026-11-22T07:31:12.000Z"]);
    expect(() => r.setMinute(0)).toThrow(/minuteMs must be a whole number/);
    expect(() => new ObservationRecorder({ source: "sdk", minuteMs: 120_000 })).toThrow(/from 1 to 60000/);
  });
});
