import { describe, expect, it } from "vitest";
import {
  changedFields,
  formatMs,
  formatPercentage,
  formatPerSecond,
  formatRate,
  formatRelative,
  formatValue,
  isStale,
  matchesSearch,
} from "./format.js";

describe("formatting", () => {
  it("shows rates and percentages, and a dash where there is no value", () => {
    expect(formatRate(0.125)).toBe("12.5%");
    expect(formatRate(0.00123, 2)).toBe("0.12%");
    expect(formatRate(null)).toBe("—");
    expect(formatRate(Number.NaN)).toBe("—");
    expect(formatPercentage(25)).toBe("25%");
    expect(formatPercentage(12.345)).toBe("12.35%");
    expect(formatPercentage(null)).toBe("rules");
  });

  it("gives latencies and request rates a precision that suits their size", () => {
    expect(formatMs(0.4231)).toBe("0.42 ms");
    expect(formatMs(12.34)).toBe("12.3 ms");
    expect(formatMs(1250)).toBe("1.25 s");
    expect(formatMs(null)).toBe("—");
    expect(formatPerSecond(0.05)).toBe("0.050/s");
    expect(formatPerSecond(2.25)).toBe("2.3/s");
    expect(formatPerSecond(1234.4)).toBe("1234/s");
  });

  it("says how long ago or until", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(formatRelative("2026-12-01T11:59:58Z", now)).toBe("just now");
    expect(formatRelative("2026-12-01T11:59:00Z", now)).toBe("1 min ago");
    expect(formatRelative("2026-12-01T09:00:00Z", now)).toBe("3 h ago");
    expect(formatRelative("2026-12-06T12:00:00Z", now)).toBe("in 5 d");
  });

  it("marks a flag stale once its expiry has passed", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(isStale({ expiresAt: "2026-11-30T00:00:00Z" }, now)).toBe(true);
    expect(isStale({ expiresAt: "2026-12-02T00:00:00Z" }, now)).toBe(false);
    expect(isStale({}, now)).toBe(false);
  });

  it("shows values in one short line", () => {
    expect(formatValue("a")).toBe('"a"');
    expect(formatValue(undefined)).toBe("(absent)");
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
    expect(formatValue("x".repeat(200))).toHaveLength(200 + 2);
    expect(formatValue(["x".repeat(200)])).toHaveLength(118);
  });

  it("lists what an audit entry changed, without the fields every write changes", () => {
    expect(changedFields({ enabled: true, percentage: 10, version: 3 }, { enabled: true, percentage: 25, version: 4 })).toEqual([
      { field: "percentage", before: "10", after: "25" },
    ]);
    expect(changedFields({ a: 1 }, { b: 2 })).toEqual([
      { field: "a", before: "1", after: "(absent)" },
      { field: "b", before: "(absent)", after: "2" },
    ]);
    expect(changedFields(1, 2)).toEqual([{ field: "", before: "1", after: "2" }]);
  });

  it("shows a rollout as the share of each variant", () => {
    const split = (on: number) => ({
      split: [
        { variant: "on", weight: on },
        { variant: "off", weight: 100 - on },
      ],
    });
    expect(changedFields({ fallthrough: split(10) }, { fallthrough: split(25) })).toEqual([
      { field: "fallthrough", before: "on 10% · off 90%", after: "on 25% · off 75%" },
    ]);
    expect(changedFields({ fallthrough: { variant: "on" } }, { fallthrough: split(33.333) })).toEqual([
      { field: "fallthrough", before: "on", after: "on 33.33% · off 66.67%" },
    ]);
  });

  it("sums up a created or deleted record by its notable fields", () => {
    expect(changedFields(null, { key: "k", kind: "release", enabled: false, fallthrough: { variant: "off" }, variants: {} })).toEqual([
      { field: "kind", before: "(none)", after: '"release"' },
      { field: "enabled", before: "(none)", after: "false" },
      { field: "fallthrough", before: "(none)", after: "off" },
    ]);
    expect(changedFields({ name: "ci", scope: "read" }, null)).toEqual([
      { field: "name", before: '"ci"', after: "(none)" },
      { field: "scope", before: '"read"', after: "(none)" },
    ]);
    expect(changedFields(null, { x: 1 })).toEqual([{ field: "", before: "(none)", after: '{"x":1}' }]);
  });

  it("searches a flag's key, description, owner and tags, ignoring case", () => {
    const flag = { key: "checkout-v2", description: "New payment path", owner: "payments", tags: ["Q4"] };
    expect(matchesSearch(flag, "")).toBe(true);
    expect(matchesSearch(flag, "CHECKOUT")).toBe(true);
    expect(matchesSearch(flag, "payment")).toBe(true);
    expect(matchesSearch(flag, "q4")).toBe(true);
    expect(matchesSearch(flag, "search")).toBe(false);
  });
});
