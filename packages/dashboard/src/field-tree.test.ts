import { describe, expect, it } from "vitest";
import { buildFieldTree, fieldDiagnostics, noiseShare, splitPath } from "./field-tree.js";

const report = (path: string, differences: number, noise: number, significant: boolean) => ({
  path,
  differences,
  rate: differences / 100,
  noise,
  noiseRate: noise / 100,
  significant,
});

describe("field-path tree", () => {
  it("splits paths on dots and array indexes", () => {
    expect(splitPath("body.items[0].price")).toEqual(["body", "items", "[0]", "price"]);
    expect(splitPath("status")).toEqual(["status"]);
  });

  it("the noise share is noise rate over rate, at most 1, null without noise data", () => {
    expect(noiseShare({ rate: 0.5, noiseRate: 0.25 })).toBe(0.5);
    expect(noiseShare({ rate: 0.1, noiseRate: 0.3 })).toBe(1);
    expect(noiseShare({ rate: 0, noiseRate: 0.3 })).toBe(1);
    expect(noiseShare({ rate: 0.1, noiseRate: null })).toBeNull();
  });

  it("adds children up into parents, sorts most frequent first, and marks a parent significant from a child", () => {
    const tree = buildFieldTree(
      [report("body.total", 30, 0, true), report("headers.date", 50, 50, false), report("body.items[0].price", 10, 5, false)],
      new Map([["body.total", { e: 120, flagged: true }]]),
    );
    expect(tree.map((n) => [n.name, n.differences, n.significant])).toEqual([
      ["headers", 50, false],
      ["body", 40, true],
    ]);
    const body = tree[1]!;
    expect(body.children.map((c) => c.path)).toEqual(["body.total", "body.items"]);
    expect(body.children[0]?.diagnostic).toEqual({ e: 120, flagged: true });
    expect(body.children[1]?.children[0]?.children[0]?.path).toBe("body.items[0].price");
    // Weighted: 30 differences with share 0 and 10 with share 0.5.
    expect(body.noiseShare).toBeCloseTo(0.125);
    expect(tree[0]?.noiseShare).toBe(1);
  });

  it("reads the verdict's field diagnostics, ignoring rows of the wrong shape", () => {
    const map = fieldDiagnostics({
      fields: [{ key: "body.a", e: 3, flagged: false }, { key: 1 }, { key: "body.b", e: 40, flagged: true }],
    });
    expect([...map.entries()]).toEqual([
      ["body.a", { e: 3, flagged: false }],
      ["body.b", { e: 40, flagged: true }],
    ]);
    expect(fieldDiagnostics(undefined).size).toBe(0);
  });
});
