import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.js";
import { LatencySketch } from "./latency-sketch.js";
import {
  countField,
  emptyWindow,
  MAX_FIELDS_PER_WINDOW,
  mergePaired,
  mergeWindows,
  minuteOf,
  type ObservationWindow,
  OTHER_FIELDS,
  pairedLatencyOutcome,
  parseObservationBatch,
} from "./observation-window.js";

const KEY = { flag: "checkout-v2", source: "proxy", route: "GET /cart", start: "2026-11-22T07:31:00.000Z" } as const;

function windowWith(latencies: { baseline: number[]; dark: number[] }, errors = 0): ObservationWindow {
  const w = emptyWindow(KEY);
  for (const side of ["baseline", "dark"] as const) {
    const sketch = new LatencySketch();
    for (const v of latencies[side]) sketch.record(v);
    w[side] = {
      requests: latencies[side].length,
      errors: side === "dark" ? errors : 0,
      latency: sketch.toJSON(),
      reservoir: latencies[side].slice(0, 256),
    };
  }
  w.comparison = { total: 3, matched: 2, mismatched: 1, noiseTotal: 0, fields: { "body.price": 1 }, noise: {} };
  return w;
}

describe("observation windows", () => {
  it("start at the minute", () => {
    expect(minuteOf(Date.parse("2026-11-22T07:31:59.999Z"))).toBe("2026-11-22T07:31:00.000Z");
  });

  it("merge to exact totals", () => {
    const a = windowWith({ baseline: [1, 2, 3], dark: [10, 20] }, 1);
    const b = windowWith({ baseline: [4], dark: [30, 40, 50] }, 2);
    const merged = mergeWindows(a, b);
    expect(merged.baseline.requests).toBe(4);
    expect(merged.dark).toMatchObject({ requests: 5, errors: 3 });
    expect(merged.dark.latency.count).toBe(5);
    expect(merged.dark.reservoir.sort((x, y) => x - y)).toEqual([10, 20, 30, 40, 50]);
    expect(merged.comparison).toEqual({ total: 6, matched: 4, mismatched: 2, noiseTotal: 0, fields: { "body.price": 2 }, noise: {} });
    const union = new LatencySketch();
    for (const v of [10, 20, 30, 40, 50]) union.record(v);
    expect(LatencySketch.from(merged.dark.latency).quantile(0.99)).toBe(union.quantile(0.99));
  });

  it("refuse to merge windows of different keys", () => {
    expect(() => mergeWindows(emptyWindow(KEY), emptyWindow({ ...KEY, route: "GET /other" }))).toThrow(ValidationError);
  });

  it("fold field paths past the bound into one entry", () => {
    const fields: Record<string, number> = {};
    for (let i = 0; i < MAX_FIELDS_PER_WINDOW + 10; i++) countField(fields, `body.f${i}`);
    expect(Object.keys(fields)).toHaveLength(MAX_FIELDS_PER_WINDOW + 1);
    expect(fields[OTHER_FIELDS]).toBe(10);
    countField(fields, "body.f0", 2);
    expect(fields["body.f0"]).toBe(3);
  });
});

describe("parseObservationBatch", () => {
  const good = () => JSON.parse(JSON.stringify({ instance: "proxy-1", windows: [windowWith({ baseline: [1, 2], dark: [3] })] }));

  it("accepts a well-formed batch and canonicalizes the start", () => {
    const batch = good();
    batch.windows[0].start = "2026-11-22T08:31:00+01:00";
    expect(parseObservationBatch(batch).windows[0]?.start).toBe("2026-11-22T07:31:00.000Z");
  });

  const problems = (mutate: (b: ReturnType<typeof good>) => void): string[] => {
    const batch = good();
    mutate(batch);
    try {
      parseObservationBatch(batch);
    } catch (error) {
      return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    return [];
  };

  it("names every bad field", () => {
    expect(problems((b) => (b.windows[0].dark.errors = 5))).toEqual(["windows[0].dark.errors: errors must not exceed requests"]);
    expect(problems((b) => (b.windows[0].start = "2026-11-22T07:31:30Z"))).toEqual(["windows[0].start: must be the start of a minute"]);
    // A server run with short minutes takes the starts of its own minute, and names it when one is not.
    const short = good();
    short.windows[0].start = "2026-11-22T07:31:30Z";
    expect(parseObservationBatch(short, { minuteMs: 1_000 }).windows[0]?.start).toBe("2026-11-22T07:31:30.000Z");
    short.windows[0].start = "2026-11-22T07:31:30.500Z";
    expect(() => parseObservationBatch(short, { minuteMs: 1_000 })).toThrow(
      "windows[0].start: must be the start of one of this server's 1000 ms minutes (a multiple of 1000 ms since the epoch)",
    );
    expect(problems((b) => (b.windows[0].source = "nginx"))).toEqual(["windows[0].source: must be one of proxy, sdk, api"]);
    expect(problems((b) => (b.windows[0].baseline.requests = 3))).toEqual([
      "windows[0].baseline.latency.count: latency.count must equal requests",
    ]);
    expect(problems((b) => (b.windows[0].comparison.matched = 0))).toEqual([
      "windows[0].comparison: matched + mismatched must equal total",
    ]);
    expect(problems((b) => (b.windows[0].flag = "bad key!"))[0]).toMatch(/^windows\[0\]\.flag: must start with a letter or digit/);
    expect(problems((b) => (b.windows[0].extra = 1))[0]).toMatch(/^windows\[0\]: Unrecognized key/);
    expect(problems((b) => (b.windows[0].dark.reservoir = [-1]))).toEqual(["windows[0].dark.reservoir[0]: must not be negative"]);
  });

  it("refuses a sketch whose bins do not add up to its count", () => {
    expect(problems((b) => (b.windows[0].baseline.latency.bins = [7]))).toEqual([
      "windows[0].baseline.latency: count must equal the sum of bins and zeroCount",
    ]);
  });

  it("takes the simple form a service can write by hand: raw latencies, sides and counters left out", () => {
    const batch = parseObservationBatch({
      windows: [
        {
          flag: "checkout-v2",
          source: "api",
          route: "POST /pay",
          start: "2026-11-22T07:31:00Z",
          dark: { errors: 1, latenciesMs: [12, 30, 7.5] },
        },
      ],
    });
    const [w] = batch.windows;
    expect(w?.baseline).toEqual(emptyWindow(KEY).baseline);
    expect(w?.dark).toMatchObject({ requests: 3, errors: 1, reservoir: [12, 30, 7.5] });
    expect(w?.dark.latency).toMatchObject({ count: 3, min: 7.5, max: 30, sum: 49.5 });
    expect(w?.comparison).toEqual(emptyWindow(KEY).comparison);
    expect(w?.samples).toEqual([]);
  });

  it("names what is wrong in the simple form", () => {
    const at = (dark: unknown) => {
      try {
        parseObservationBatch({ windows: [{ flag: "f", source: "api", route: "r", start: "2026-11-22T07:31:00Z", dark }] });
      } catch (error) {
        return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(at({ requests: 2, latenciesMs: [1] })).toEqual([
      "windows[0].dark.requests: requests must equal the number of latenciesMs (or be left out)",
    ]);
    expect(at({ errors: 2, latenciesMs: [1] })).toEqual(["windows[0].dark.errors: errors must not exceed requests"]);
    expect(at({ latenciesMs: [1, "x"] })).toEqual(["windows[0].dark.latenciesMs[1]: must be a number"]);
    expect(at({ latenciesMs: [1], extra: true })[0]).toMatch(/^windows\[0\]\.dark: Unrecognized key/);
    expect(at("fast")[0]).toMatch(/^windows\[0\]\.dark: /);
  });

  it("refuses what is not a batch", () => {
    expect(() => parseObservationBatch(null)).toThrow(/observation batch is invalid/);
    expect(() => parseObservationBatch({ windows: "x" })).toThrow(ValidationError);
  });
});

describe("paired counters", () => {
  const paired = { bothErr: 1, darkOnlyErr: 2, baseOnlyErr: 0, slower: 1, faster: 1, tie: 1 };

  it("band latencies: slower past 1.1 × base + 2 ms, faster the mirror image, else a tie", () => {
    expect(pairedLatencyOutcome(100, 112.1)).toBe("slower");
    expect(pairedLatencyOutcome(100, 111.9)).toBe("tie");
    expect(pairedLatencyOutcome(112.1, 100)).toBe("faster");
    expect(pairedLatencyOutcome(1, 3.2)).toBe("slower");
    expect(pairedLatencyOutcome(1, 3)).toBe("tie");
  });

  it("merge exactly, and a window without them (split mode, an old reporter) reads as absent", () => {
    const a = windowWith({ baseline: [1, 2, 3], dark: [1, 2, 3] }, 3);
    a.baseline.errors = 1;
    a.paired = paired;
    const b = windowWith({ baseline: [4], dark: [5] });
    expect(mergeWindows(a, b).paired).toEqual(paired);
    expect(mergeWindows(b, a).paired).toEqual(paired);
    expect(mergeWindows(a, a).paired).toEqual({ bothErr: 2, darkOnlyErr: 4, baseOnlyErr: 0, slower: 2, faster: 2, tie: 2 });
    expect(mergeWindows(b, b)).not.toHaveProperty("paired");
    expect(mergePaired(undefined, undefined)).toBeUndefined();
  });

  it("travel in a batch; old batches without them still parse", () => {
    const w = JSON.parse(JSON.stringify(windowWith({ baseline: [1, 2, 3], dark: [1, 2, 3] }, 3)));
    w.baseline.errors = 1;
    expect(parseObservationBatch({ windows: [w] }).windows[0]).not.toHaveProperty("paired");
    w.paired = paired;
    expect(parseObservationBatch({ windows: [w] }).windows[0]?.paired).toEqual(paired);
  });

  it("name what does not add up", () => {
    const at = (mutate: (w: Record<string, unknown> & { paired: Record<string, number> }) => void) => {
      const w = JSON.parse(JSON.stringify(windowWith({ baseline: [1, 2, 3], dark: [1, 2, 3] }, 3)));
      w.baseline.errors = 1;
      w.paired = { ...paired };
      mutate(w);
      try {
        parseObservationBatch({ windows: [w] });
      } catch (error) {
        return (error as ValidationError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(at(() => {})).toEqual([]);
    expect(at((w) => (w.paired.tie = 5))).toEqual([
      "windows[0].paired: holds 7 pairs but baseline has 3 requests",
      "windows[0].paired: holds 7 pairs but dark has 3 requests",
    ]);
    expect(at((w) => ((w.baseline as { errors: number }).errors = 0))).toEqual([
      "windows[0].paired.baseOnlyErr: bothErr + baseOnlyErr must not exceed baseline.errors",
    ]);
    expect(at((w) => (w.paired.darkOnlyErr = 3))[0]).toMatch(
      /^windows\[0\]\.paired: bothErr \+ darkOnlyErr \+ baseOnlyErr must not exceed the pairs/,
    );
    expect(at((w) => (w.paired.slower = -1))[0]).toBe("windows[0].paired.slower: must not be negative");
  });
});
