import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonArb, patternArb, responseArb } from "./compare-responses.arbitraries.js";
import { compareResponses, compileComparator } from "./compare-responses.js";
import type { ComparedResponse, CompareOptions } from "./difference.js";
import { ValidationError } from "./errors.js";
import { TOO_DEEP } from "./json-diff.js";
import { compilePathPattern } from "./path-pattern.js";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const json = (value: unknown, status = 200): ComparedResponse => ({ status, headers: JSON_HEADERS, body: JSON.stringify(value) });
const text = (body: string | undefined, contentType = "text/plain"): ComparedResponse => ({
  status: 200,
  headers: { "content-type": contentType },
  body,
});

describe("compareResponses: status and headers", () => {
  it("matches identical responses", () => {
    expect(compareResponses(json({ a: 1 }), json({ a: 1 }))).toEqual({ match: true, differences: [], truncated: false });
  });

  it("matches byte-identical bodies without reading them, and still finds one changed byte", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ items: [{ price: 10 }], id: "x" }));
    const same = { status: 200, headers: JSON_HEADERS, body: bytes };
    expect(compareResponses(same, { ...same, body: bytes.slice() })).toEqual({ match: true, differences: [], truncated: false });
    const changed = bytes.slice();
    changed[changed.indexOf(0x31)] = 0x32; // "10" → "20"
    expect(compareResponses(same, { ...same, body: changed }).differences).toEqual([
      { path: "body.items[].price", location: "body.items[0].price", kind: "changed", baseline: 10, dark: 20 },
    ]);
    // Same bytes, different status: the status still counts.
    expect(compareResponses(same, { ...same, status: 500 }).differences.map((d) => d.path)).toEqual(["status"]);
  });

  it("compares Node Buffers (natively) and plain Uint8Arrays alike: equal exactly when the bytes are", () => {
    const few = fc.uint8Array({ min: 0, max: 2, maxLength: 6 });
    fc.assert(
      fc.property(few, few, (a, b) => {
        const of = (body: Uint8Array): ComparedResponse => ({ status: 200, headers: { "content-type": "text/plain" }, body });
        const plain = compareResponses(of(a), of(b));
        const buffers = compareResponses(of(Buffer.from(a)), of(Buffer.from(b)));
        expect(buffers).toEqual(plain);
        expect(plain.match).toBe(a.length === b.length && a.every((x, i) => x === b[i]));
      }),
    );
  });

  it("reads headers only when a header is compared or the bodies differ (a proxy builds them on first read)", () => {
    const reads = { count: 0 };
    const lazy = (body: string): ComparedResponse => ({
      status: 200,
      body,
      get headers() {
        reads.count++;
        return JSON_HEADERS;
      },
    });
    expect(compareResponses(lazy('{"a":1}'), lazy('{"a":1}')).match).toBe(true);
    expect(reads.count).toBe(0);
    expect(compareResponses(lazy('{"a":1}'), lazy('{"a":2}')).differences.map((d) => d.path)).toEqual(["body.a"]);
    expect(reads.count).toBeGreaterThan(0);
    reads.count = 0;
    expect(compareResponses(lazy("{}"), lazy("{}"), { headers: ["content-type"] }).match).toBe(true);
    expect(reads.count).toBe(2);
  });

  it("reports a changed status at path status", () => {
    expect(compareResponses(json({}, 200), json({}, 503))).toEqual({
      match: false,
      truncated: false,
      differences: [{ path: "status", location: "status", kind: "changed", baseline: 200, dark: 503 }],
    });
  });

  it("compares only the chosen headers, by lower-case name, joining multiple values", () => {
    const baseline: ComparedResponse = {
      status: 200,
      headers: { "cache-control": ["no-store", "private"], etag: "1", vary: "a", "x.y": "1" },
    };
    const dark: ComparedResponse = { status: 200, headers: { "cache-control": "no-store", etag: "2", server: "x", "x.y": "2" } };
    const result = compileComparator({ headers: ["Cache-Control", "vary", "server", "x.y"] })(baseline, dark);
    expect(result.differences).toEqual([
      {
        path: "headers.cache-control",
        location: "headers.cache-control",
        kind: "changed",
        baseline: "no-store, private",
        dark: "no-store",
      },
      { path: "headers.vary", location: "headers.vary", kind: "removed", baseline: "a" },
      { path: "headers.server", location: "headers.server", kind: "added", dark: "x" },
      { path: 'headers["x.y"]', location: 'headers["x.y"]', kind: "changed", baseline: "1", dark: "2" },
    ]);
  });

  it("finds headers given with upper-case names", () => {
    const result = compareResponses(
      { status: 200, headers: { ETag: "1" } },
      { status: 200, headers: { etag: "1" } },
      { headers: ["etag"] },
    );
    expect(result.match).toBe(true);
  });

  it("ignores status and headers by path", () => {
    const compare = compileComparator({ headers: ["date", "etag"], ignore: ["status", "headers.date"] });
    const result = compare({ status: 200, headers: { date: "a", etag: "1" } }, { status: 500, headers: { date: "b", etag: "2" } });
    expect(result.differences.map((d) => d.path)).toEqual(["headers.etag"]);
    expect(
      compileComparator({ headers: ["date", "etag"], ignore: ["headers"] })(
        { status: 1, headers: { date: "a" } },
        { status: 1, headers: {} },
      ).match,
    ).toBe(true);
  });
});

describe("compareResponses: JSON bodies", () => {
  it("finds a changed field at its path with both values", () => {
    const result = compareResponses(json({ order: { total: 10, currency: "EUR" } }), json({ order: { total: 12, currency: "EUR" } }));
    expect(result.differences).toEqual([
      { path: "body.order.total", location: "body.order.total", kind: "changed", baseline: 10, dark: 12 },
    ]);
  });

  it("reports added, removed and type differences", () => {
    const result = compareResponses(json({ a: 1, b: "x", c: null, d: [1] }), json({ a: "1", c: {}, d: { 0: 1 }, e: true }));
    expect(result.differences).toEqual([
      { path: "body.a", location: "body.a", kind: "type", baseline: 1, dark: "1" },
      { path: "body.b", location: "body.b", kind: "removed", baseline: "x" },
      { path: "body.c", location: "body.c", kind: "type", baseline: null, dark: {} },
      { path: "body.d", location: "body.d", kind: "type", baseline: [1], dark: { 0: 1 } },
      { path: "body.e", location: "body.e", kind: "added", dark: true },
    ]);
  });

  it("quotes keys that hold dots, brackets, quotes or spaces", () => {
    const result = compareResponses(json({ "a.b": { "x y": 1, "[0]": 1 } }), json({ "a.b": { "x y": 2, "[0]": 2 } }));
    expect(result.differences.map((d) => d.path)).toEqual(['body["a.b"]["x y"]', 'body["a.b"]["[0]"]']);
  });

  it("compares arrays by index: generic path with [], location with the index", () => {
    const result = compareResponses(
      json({ items: [{ price: 1 }, { price: 2 }, { price: 3 }] }),
      json({ items: [{ price: 1 }, { price: 5 }] }),
    );
    expect(result.differences).toEqual([
      { path: "body.items[].price", location: "body.items[1].price", kind: "changed", baseline: 2, dark: 5 },
      { path: "body.items[]", location: "body.items[2]", kind: "removed", baseline: { price: 3 } },
    ]);
  });

  it("compares arrays by a key field: order does not matter, unmatched elements are added or removed", () => {
    const baseline = json({
      items: [
        { id: 1, price: 10 },
        { id: 2, price: 20 },
        { id: "3", price: 30 },
      ],
    });
    const dark = json({
      items: [
        { id: 2, price: 21 },
        { id: 1, price: 10 },
        { id: 4, price: 40 },
      ],
    });
    const result = compareResponses(baseline, dark, { arrayKeys: { "body.items[]": "id" } });
    expect(result.differences).toEqual([
      { path: "body.items[].price", location: "body.items[id=2].price", kind: "changed", baseline: 20, dark: 21 },
      { path: "body.items[]", location: 'body.items[id="3"]', kind: "removed", baseline: { id: "3", price: 30 } },
      { path: "body.items[]", location: "body.items[id=4]", kind: "added", dark: { id: 4, price: 40 } },
    ]);
  });

  it("pairs keyless and duplicate-key elements by order of appearance", () => {
    const baseline = json({ rows: [{ id: 1, v: 1 }, { v: 2 }, { id: 1, v: 3 }] });
    const dark = json({ rows: [{ v: 9 }, { id: 1, v: 1 }] });
    const result = compareResponses(baseline, dark, { arrayKeys: { "body.*[]": "id" } });
    expect(result.differences).toEqual([
      { path: "body.rows[].v", location: "body.rows[1].v", kind: "changed", baseline: 2, dark: 9 },
      { path: "body.rows[]", location: "body.rows[2]", kind: "removed", baseline: { id: 1, v: 3 } },
    ]);
  });

  it("ignores paths with *, ** and [] (and everything below them)", () => {
    const baseline = json({ meta: { at: 1, by: "a" }, items: [{ id: 1, updatedAt: 1, n: 1 }], deep: { x: { updatedAt: 1 } }, keep: 1 });
    const dark = json({ meta: { at: 2, by: "b" }, items: [{ id: 2, updatedAt: 2, n: 1 }], deep: { x: { updatedAt: 2 } }, keep: 2 });
    expect(compareResponses(baseline, dark, { ignore: ["body.meta.*", "body.items[].id", "body.**.updatedAt"] }).differences).toEqual([
      { path: "body.keep", location: "body.keep", kind: "changed", baseline: 1, dark: 2 },
    ]);
    expect(compareResponses(baseline, dark, { ignore: ["body.meta", "body.items", "body.deep", "body.keep"] }).match).toBe(true);
    expect(compareResponses(baseline, dark, { ignore: ["body"] }).match).toBe(true);
  });

  it("applies an absolute or relative tolerance: equal when either holds", () => {
    const compare = compileComparator({ tolerance: { absolute: 0.5, relative: 0.01 } });
    const result = compare(json({ a: 1, b: 1.6, c: 1000, d: 1011, e: -3 }), json({ a: 1.5, b: 2.2, c: 1009, d: 1000, e: -3.4 }));
    expect(result.differences).toEqual([
      { path: "body.b", location: "body.b", kind: "changed", baseline: 1.6, dark: 2.2 },
      { path: "body.d", location: "body.d", kind: "changed", baseline: 1011, dark: 1000 },
    ]);
    expect(compareResponses(json(1), json(1.0000001)).match).toBe(false);
  });

  it("parses bodies as JSON by content-type (+json too), by the json option, as bytes or as a string", () => {
    const bytes = new TextEncoder().encode('{"a": 1}');
    expect(
      compareResponses({ status: 200, headers: { "content-type": "application/vnd.api+json" }, body: bytes }, json({ a: 1 })).match,
    ).toBe(true);
    expect(compareResponses(text('{"a":1}'), text('{ "a": 1 }')).differences[0]?.kind).toBe("changed");
    expect(compareResponses(text('{"a":1}'), text('{ "a": 1 }'), { json: true }).match).toBe(true);
  });

  it("reports a body that does not parse as a type difference instead of throwing", () => {
    const result = compareResponses(json({ a: 1 }), text("<html>Bad gateway</html>", "text/html"));
    expect(result.differences).toEqual([
      { path: "body", location: "body", kind: "type", baseline: '{"a":1}', dark: "<html>Bad gateway</html>" },
    ]);
    expect(compareResponses(json({ a: 1 }), text("{oops", "application/json")).differences[0]?.kind).toBe("type");
    // Neither side parses: compared as text.
    expect(compareResponses(text("{oops", "application/json"), text("{oops", "application/json")).match).toBe(true);
  });

  it("reports a JSON body missing on one side as added or removed", () => {
    expect(compareResponses(json({ a: 1 }), text(undefined, "application/json")).differences).toEqual([
      { path: "body", location: "body", kind: "removed", baseline: { a: 1 } },
    ]);
    expect(compareResponses(text("", "application/json"), json([1])).differences).toEqual([
      { path: "body", location: "body", kind: "added", dark: [1] },
    ]);
  });

  it("caps the list at maxDifferences and says it was truncated", () => {
    const baseline = json({ a: 1, b: 1, c: 1 });
    const dark = json({ a: 2, b: 2, c: 2 });
    expect(compareResponses(baseline, dark, { maxDifferences: 2 })).toEqual({
      match: false,
      truncated: true,
      differences: [
        { path: "body.a", location: "body.a", kind: "changed", baseline: 1, dark: 2 },
        { path: "body.b", location: "body.b", kind: "changed", baseline: 1, dark: 2 },
      ],
    });
    expect(compareResponses(baseline, dark, { maxDifferences: 3 }).truncated).toBe(false);
    expect(compareResponses(baseline, dark, { maxDifferences: 0 })).toEqual({ match: false, truncated: true, differences: [] });
    const many = (n: number) => json(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, n])));
    expect(compareResponses(many(1), many(2)).differences).toHaveLength(100);
  });

  it("compares very deep documents without overflowing the stack", () => {
    const deep = (leaf: number) => `${"[".repeat(5000)}${leaf}${"]".repeat(5000)}`;
    const result = compareResponses(
      { status: 200, headers: JSON_HEADERS, body: deep(1) },
      { status: 200, headers: JSON_HEADERS, body: deep(2) },
    );
    expect(result.match).toBe(false);
    expect(result.differences[0]?.path).toBe(`body${"[]".repeat(200)}`);
    // The subtrees below the walk's depth are too deep to serialise: the difference holds a marker.
    expect(result.differences[0]).toMatchObject({ kind: "changed", baseline: TOO_DEEP, dark: TOO_DEEP });
    expect(() => JSON.stringify(result)).not.toThrow();
    expect(
      compareResponses({ status: 200, headers: JSON_HEADERS, body: deep(1) }, { status: 200, headers: JSON_HEADERS, body: deep(1) }).match,
    ).toBe(true);
  });

  it("compares objects 10 000 deep, with keyed arrays configured, without overflowing the stack", () => {
    const deep = (leaf: number) => `${'{"a":['.repeat(10_000)}${leaf}${"]}".repeat(10_000)}`;
    const compare = compileComparator({ arrayKeys: { "body.**[]": "id" } });
    const result = compare({ status: 200, headers: JSON_HEADERS, body: deep(1) }, { status: 200, headers: JSON_HEADERS, body: deep(2) });
    expect(result.match).toBe(false);
    expect(result.differences).toHaveLength(1);
    expect(() => JSON.stringify(result)).not.toThrow();
  });

  it("a whole subtree added or removed is stored when shallow, a marker when too deep to serialise", () => {
    const deep = `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`;
    const result = compareResponses(
      { status: 200, headers: JSON_HEADERS, body: `{"x":${deep},"y":{"z":[1]}}` },
      { status: 200, headers: JSON_HEADERS, body: "{}" },
    );
    expect(result.differences).toEqual([
      { path: "body.x", location: "body.x", kind: "removed", baseline: TOO_DEEP },
      { path: "body.y", location: "body.y", kind: "removed", baseline: { z: [1] } },
    ]);
    expect(() => JSON.stringify(result)).not.toThrow();
  });

  it("compares 1 MB JSON bodies in bounded time", () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.5, tags: ["a", "b"] }));
    const baseline = JSON.stringify({ items });
    const dark = JSON.stringify({ items: items.map((item) => (item.id === 19_999 ? { ...item, price: 0 } : item)) });
    expect(baseline.length).toBeGreaterThan(1_000_000);
    const started = performance.now();
    const result = compareResponses(
      { status: 200, headers: JSON_HEADERS, body: baseline },
      { status: 200, headers: JSON_HEADERS, body: dark },
    );
    // Generous: about 0.1 s here; the bound only catches quadratic work.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.differences.map((d) => d.location)).toEqual(["body.items[19999].price"]);
  });
});

describe("compareResponses: text bodies", () => {
  it("compares text exactly by default, storing both values", () => {
    expect(compareResponses(text("Hello"), text("hello")).differences).toEqual([
      { path: "body", location: "body", kind: "changed", baseline: "Hello", dark: "hello" },
    ]);
  });

  it("normalises: trim, collapseWhitespace, ignoreCase, remove", () => {
    const normalize = { trim: true, collapseWhitespace: true, ignoreCase: true, remove: ["\\d{2}:\\d{2}", "id=[a-f0-9]+"] };
    expect(compareResponses(text("  Hello   World at 10:15 id=ab12\n"), text("hello world at 11:30 id=ff"), { normalize }).match).toBe(
      true,
    );
    expect(compareResponses(text("a  b"), text("a b"), { normalize: { trim: true } }).match).toBe(false);
    expect(compareResponses(text("a  b"), text("a b"), { normalize: { collapseWhitespace: true } }).match).toBe(true);
    expect(compareResponses(text(" a "), text("a"), { normalize: { trim: true } }).match).toBe(true);
    expect(compareResponses(text("A"), text("a"), { normalize: { ignoreCase: true } }).match).toBe(true);
  });

  it("stores the received texts, truncated to 1 KiB with a marker", () => {
    const long = "x".repeat(3000);
    const [difference] = compareResponses(text(long), text("short")).differences;
    expect(difference?.baseline).toBe(`${"x".repeat(1024)}…[truncated]`);
    expect(difference?.dark).toBe("short");
  });

  it("decodes bytes as UTF-8 and reports a body present on one side only", () => {
    const bytes = new TextEncoder().encode("héllo");
    expect(compareResponses({ status: 200, headers: {}, body: bytes }, { status: 200, headers: {}, body: "héllo" }).match).toBe(true);
    expect(compareResponses(text(undefined), text("x")).differences).toEqual([
      { path: "body", location: "body", kind: "added", dark: "x" },
    ]);
    expect(compareResponses(text("x"), text("")).differences).toEqual([{ path: "body", location: "body", kind: "removed", baseline: "x" }]);
  });
});

describe("compileComparator: validation", () => {
  it.each<[unknown, string, string]>([
    [{ tolerance: { relative: -1 } }, "tolerance.relative", "must be a finite number ≥ 0"],
    [{ tolerance: { absolute: Number.POSITIVE_INFINITY } }, "tolerance.absolute", "must be a finite number ≥ 0"],
    [{ tolerance: { abs: 1 } }, "tolerance.abs", "unknown option; expected one of absolute, relative"],
    [{ tolerance: 1 }, "tolerance", "must be an object such as { absolute: 0.01, relative: 0.001 }"],
    [{ arrayKeys: { "body.items[]": "" } }, 'arrayKeys["body.items[]"]', 'the key field must be a non-empty string such as "id"'],
    [
      { arrayKeys: { "body.items": "id" } },
      'arrayKeys["body.items"]',
      '"body.items" must name array elements, ending in "[]" (e.g. "body.items[]")',
    ],
    [{ arrayKeys: { "body..items[]": "id" } }, 'arrayKeys["body..items[]"]', 'empty segment at character 6 of "body..items[]"'],
    [{ arrayKeys: [] }, "arrayKeys", 'must be an object such as { "body.items[]": "id" }'],
    [
      { normalize: { remove: ["(?<=a)b"] } },
      "normalize.remove[0]",
      "regex does not compile with RE2 syntax (no backreferences or lookaround): invalid named capture: `(?<=a)b`",
    ],
    [
      { normalize: { remove: ["x", "("] } },
      "normalize.remove[1]",
      "regex does not compile with RE2 syntax (no backreferences or lookaround): missing closing ): `(`",
    ],
    [{ normalize: { trim: "yes" } }, "normalize.trim", "must be true or false"],
    [
      { normalize: { lowercase: true } },
      "normalize.lowercase",
      "unknown option; expected one of trim, collapseWhitespace, ignoreCase, remove",
    ],
    [{ ignore: ["body.ok", "body..x"] }, "ignore[1]", 'empty segment at character 6 of "body..x"'],
    [{ ignore: "body.x" }, "ignore", "must be an array of strings"],
    [{ ignore: [1] }, "ignore[0]", "must be a string"],
    [{ headers: ["x y"] }, "headers[0]", '"x y" is not a valid header name'],
    [{ json: 1 }, "json", "must be true or false"],
    [{ maxDifferences: -1 }, "maxDifferences", "must be a whole number ≥ 0"],
    [{ maxDifferences: 1.5 }, "maxDifferences", "must be a whole number ≥ 0"],
    [
      { tolerence: {} },
      "tolerence",
      "unknown option; expected one of headers, ignore, arrayKeys, tolerance, normalize, json, maxDifferences",
    ],
  ])("refuses %j at %s", (options, path, message) => {
    let caught: unknown;
    try {
      compileComparator(options as CompareOptions);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).problems).toEqual([{ path, message }]);
    expect((caught as ValidationError).message).toBe(`comparison options is invalid: ${path}: ${message}`);
  });

  it("reports every problem at once", () => {
    expect(() => compileComparator({ tolerance: { relative: -1, absolute: -1 }, maxDifferences: -1 })).toThrow(
      "comparison options is invalid: tolerance.absolute: must be a finite number ≥ 0; tolerance.relative: must be a finite number ≥ 0; maxDifferences: must be a whole number ≥ 0",
    );
  });
});

describe("compareResponses: properties", () => {
  it("never throws on arbitrary JSON on both sides", () => {
    fc.assert(
      fc.property(jsonArb, jsonArb, fc.boolean(), (a, b, keyed) => {
        const options: CompareOptions = keyed ? { arrayKeys: { "body.**[]": "id" }, tolerance: { relative: 0.1 } } : {};
        const result = compareResponses(json(a), json(b), options);
        expect(result.match).toBe(result.differences.length === 0);
      }),
    );
  });

  it("never throws on arbitrary responses, and a response always matches itself", () => {
    fc.assert(
      fc.property(responseArb, responseArb, fc.boolean(), (a, b, asJson) => {
        const compare = compileComparator({ headers: ["content-type", "etag"], json: asJson, normalize: { trim: true } });
        compare(a, b);
        expect(compare(a, a)).toEqual({ match: true, differences: [], truncated: false });
      }),
    );
  });

  it("never throws on malformed responses", () => {
    const weird = [
      null,
      undefined,
      {},
      { status: "x", headers: null, body: 42 },
      { headers: { etag: [1, null] }, body: new Uint8Array([0xff, 0xfe]) },
    ];
    for (const a of weird)
      for (const b of weird) expect(() => compareResponses(a as never, b as never, { headers: ["etag"] })).not.toThrow();
  });

  it("lists no difference whose path an ignore pattern matches or covers", () => {
    fc.assert(
      fc.property(jsonArb, jsonArb, fc.array(patternArb, { maxLength: 3 }), (a, b, ignore) => {
        const patterns = ignore.map((source) => compilePathPattern(source));
        const result = compareResponses({ ...json(a), status: 200 }, { ...json(b), status: 201 }, { ignore, headers: ["content-type"] });
        for (const difference of result.differences) {
          for (const pattern of patterns) expect(pattern.covers(difference.path)).toBe(false);
        }
      }),
    );
  });
});
