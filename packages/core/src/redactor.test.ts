import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonArb } from "./compare-responses.arbitraries.js";
import { REDACTED, type RedactionOptions } from "./difference.js";
import { ValidationError } from "./errors.js";
import { compileRedactor } from "./redactor.js";
import { luhnValid } from "./sensitive-text.js";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

describe("redactor.text", () => {
  const { text } = compileRedactor();

  it.each([
    ["write to bob.smith+tag@mail.example.co.uk now", "write to [REDACTED] now"],
    ["card 4111 1111 1111 1111 ok", "card [REDACTED] ok"],
    ["card 4111-1111-1111-1111", "card [REDACTED]"],
    ["4111111111111111", "[REDACTED]"],
    ["amex 378282246310005.", "amex [REDACTED]."],
    ["Authorization: Bearer abc.DEF-123_~+/=", "Authorization: Bearer [REDACTED]"],
    ["bearer xyz", "bearer [REDACTED]"],
    [`token=${JWT}&x=1`, "token=[REDACTED]&x=1"],
    [`Bearer ${JWT}`, "Bearer [REDACTED]"],
  ])("hides %j", (input, expected) => {
    expect(text(input)).toBe(expected);
  });

  it.each([
    "order 4111111111111112 (fails the Luhn check)",
    "id 41111111111111111111111 is longer than any card",
    "call 555-123-4567",
    "user@localhost",
    "plain text with eyJ but no token",
    "unbearable xyz",
  ])("leaves %j alone", (input) => {
    expect(text(input)).toBe(input);
  });

  it("checks Luhn", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("")).toBe(false);
  });

  it("is linear on long runs of letters and digits", () => {
    const started = Date.now();
    text(`${"a".repeat(200_000)} ${"1".repeat(200_000)} ${"a.".repeat(100_000)}`);
    // Linear is milliseconds, quadratic on these inputs is minutes: the bound only catches the latter.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("does nothing with patterns: false", () => {
    expect(compileRedactor({ patterns: false }).text("bob@example.com")).toBe("bob@example.com");
  });
});

describe("redactor.headers", () => {
  it("hides the always-sensitive and configured headers and passes others through text", () => {
    const redact = compileRedactor({ headers: ["X-Api-Key"] });
    expect(
      redact.headers({
        Authorization: "Basic dXNlcjpwYXNz",
        "proxy-authorization": "Basic eA==",
        cookie: "sid=1",
        "set-cookie": ["a=1", "b=2"],
        "x-api-key": "k",
        "x-user": "bob@example.com",
        accept: ["text/html", "application/json"],
        "x-none": undefined,
      }),
    ).toEqual({
      Authorization: REDACTED,
      "proxy-authorization": REDACTED,
      cookie: REDACTED,
      "set-cookie": REDACTED,
      "x-api-key": REDACTED,
      "x-user": REDACTED,
      accept: ["text/html", "application/json"],
      "x-none": undefined,
    });
  });

  it("hides headers named by paths too", () => {
    expect(compileRedactor({ paths: ["headers.x-b"] }).headers({ "x-a": "1", "X-B": "2" })).toEqual({ "x-a": "1", "X-B": REDACTED });
    expect(compileRedactor({ paths: ["headers.*"] }).headers({ "x-a": "1" })).toEqual({ "x-a": REDACTED });
  });
});

describe("redactor.json", () => {
  it("hides values at configured paths and passes every string through text, without touching the input", () => {
    const redact = compileRedactor({ paths: ["body.user.password", "body.items[].secret", "body.**.token", 'body["a.b"]'] });
    const input = {
      user: { name: "Bob", password: "hunter2", email: "bob@example.com" },
      items: [{ secret: { deep: 1 }, n: 1 }],
      nested: { x: { token: 42 } },
      "a.b": "x",
      note: "card 4111 1111 1111 1111",
    };
    const copy = structuredClone(input);
    expect(redact.json(input)).toEqual({
      user: { name: "Bob", password: REDACTED, email: REDACTED },
      items: [{ secret: REDACTED, n: 1 }],
      nested: { x: { token: REDACTED } },
      "a.b": REDACTED,
      note: `card ${REDACTED}`,
    });
    expect(input).toEqual(copy);
  });

  it("takes the value's own path as its root", () => {
    const redact = compileRedactor({ paths: ["body.user.password"] });
    expect(redact.json({ password: "p", name: "n" }, "body.user")).toEqual({ password: REDACTED, name: "n" });
    expect(redact.json("p", "body.user.password")).toBe(REDACTED);
    expect(redact.json("x", "not a..path")).toBe(REDACTED);
  });

  it("keeps __proto__ keys as data and hides cycles", () => {
    const parsed = JSON.parse('{"__proto__": {"email": "a@b.co"}}') as unknown;
    const out = compileRedactor().json(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"email":"[REDACTED]"}}');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(compileRedactor().json(cyclic)).toEqual({ a: 1, self: REDACTED });
  });
});

describe("redactor.url", () => {
  const redact = compileRedactor({ query: ["token", "API_KEY"] });

  it.each([
    ["https://user:pw@api.example.com/v1/orders?token=s3cret&page=2#frag", "/v1/orders?token=[REDACTED]&page=2"],
    ["/search?api_key=abc&q=bob%40example.com&flag", "/search?api_key=[REDACTED]&q=[REDACTED]&flag"],
    ["/users/bob@example.com/orders", "/users/[REDACTED]/orders"],
    ["https://example.com", "/"],
    ["https://example.com?token=1", "/?token=[REDACTED]"],
    ["/a?x=%E0%A4%A", "/a?x=%E0%A4%A"],
    ["/a?q=mail+bob%40example.com+now", "/a?q=mail%20[REDACTED]%20now"],
  ])("%s → %s", (input, expected) => {
    expect(redact.url(input)).toBe(expected);
  });
});

describe("redactor.difference", () => {
  const redact = compileRedactor({ paths: ["body.user.ssn", "body.card"], headers: ["x-api-key"] });

  it("hides whole values at hidden paths and sensitive headers", () => {
    expect(redact.difference({ path: "body.user.ssn", location: "body.user.ssn", kind: "changed", baseline: "1", dark: "2" })).toEqual({
      path: "body.user.ssn",
      location: "body.user.ssn",
      kind: "changed",
      baseline: REDACTED,
      dark: REDACTED,
    });
    expect(redact.difference({ path: "body.card.last4", location: "body.card.last4", kind: "added", dark: "1234" })).toEqual({
      path: "body.card.last4",
      location: "body.card.last4",
      kind: "added",
      dark: REDACTED,
    });
    for (const name of ["authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"]) {
      const path = `headers.${name}`;
      expect(redact.difference({ path, location: path, kind: "removed", baseline: "v" })).toEqual({
        path,
        location: path,
        kind: "removed",
        baseline: REDACTED,
      });
    }
  });

  it("redacts inside other values with json (paths below the difference's path, patterns) and the location with text", () => {
    expect(
      redact.difference({
        path: "body.users[]",
        location: 'body.users[email="bob@example.com"]',
        kind: "changed",
        baseline: { user: { ssn: "x" } },
        dark: "bob@example.com",
      }),
    ).toEqual({
      path: "body.users[]",
      location: `body.users[email="${REDACTED}"]`,
      kind: "changed",
      baseline: { user: { ssn: "x" } },
      dark: REDACTED,
    });
    expect(redact.difference({ path: "body", location: "body", kind: "changed", baseline: { user: { ssn: "x" } }, dark: 5 })).toEqual({
      path: "body",
      location: "body",
      kind: "changed",
      baseline: { user: { ssn: REDACTED } },
      dark: 5,
    });
    expect(redact.difference({ path: "status", location: "status", kind: "changed", baseline: 200, dark: 500 })).toEqual({
      path: "status",
      location: "status",
      kind: "changed",
      baseline: 200,
      dark: 500,
    });
  });
});

describe("redactor: secrets in unusual places", () => {
  const redact = compileRedactor({ headers: ["X-Api-Key"] });

  it("hides header values whatever the case of the name in the path", () => {
    for (const path of ["headers.Authorization", "headers.COOKIE", 'headers["Set-Cookie"]', "headers.x-api-key", "headers.X-API-KEY"]) {
      const out = redact.difference({ path, location: path, kind: "changed", baseline: "Basic dXNlcjpwYXNz", dark: "sid=1" });
      expect(out.baseline).toBe(REDACTED);
      expect(out.dark).toBe(REDACTED);
    }
  });

  it("hides a card number sent as a JSON number, not other numbers", () => {
    expect(redact.json({ card: 4111111111111111, id: 4111111111111112, n: 42 })).toEqual({ card: REDACTED, id: 4111111111111112, n: 42 });
    const out = redact.difference({ path: "body.card", location: "body.card", kind: "changed", baseline: 4111111111111111, dark: 5 });
    expect(out).toEqual({ path: "body.card", location: "body.card", kind: "changed", baseline: REDACTED, dark: 5 });
  });

  it("hides secrets in keyed array locations, keys and URLs", () => {
    const out = redact.difference({
      path: "body.users[].name",
      location: 'body.users[card=4111111111111111].tokens[jwt="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"]',
      kind: "changed",
      baseline: { "bob@example.com": "Bearer abc" },
    });
    expect(redact.difference({ path: 'body.byEmail["bob@example.com"]', location: "x", kind: "removed" }).path).toBe(
      `body.byEmail["${REDACTED}"]`,
    );
    expect(JSON.stringify(out)).not.toMatch(/4111|eyJhbGci|bob@|abc/);
    expect(redact.url("https://u:p@h/u/bob%40example.com?t=Bearer%20abc#frag")).toBe(`/u/${REDACTED}?t=Bearer%20${REDACTED}`);
  });

  it.each([
    ["digits", "1".repeat(1_000_000)],
    ["letters", "a".repeat(1_000_000)],
    ["at signs", "@".repeat(1_000_000)],
    ["a@ pairs", "a@".repeat(500_000)],
    ["digit-dash pairs", "1-".repeat(500_000)],
    ["eyJ. runs", "eyJ.".repeat(250_000)],
    ["bearer words", "bearer ".repeat(150_000)],
    ["almost e-mails", "a@a.a@".repeat(170_000)],
  ])("finishes on 1 MB of %s: no catastrophic backtracking", (_name, input) => {
    // Linear work here is milliseconds; backtracking on 1 MB is hours. The bound sits far from both,
    // so a loaded machine cannot fail the test and a quadratic pattern still does (speed lives in bench/).
    const started = performance.now();
    redact.text(input);
    redact.url(`/${input.slice(0, 200_000)}?q=${input.slice(0, 200_000)}`);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe("compileRedactor: validation", () => {
  it.each<[unknown, string, string]>([
    [{ paths: ["body..x"] }, "paths[0]", 'empty segment at character 6 of "body..x"'],
    [{ paths: "body.x" }, "paths", "must be an array of strings"],
    [{ headers: ["bad header"] }, "headers[0]", '"bad header" is not a valid header name'],
    [{ query: ["ok", ""] }, "query[1]", "a query parameter name cannot be empty"],
    [{ query: [1] }, "query[0]", "must be a string"],
    [{ patterns: "no" }, "patterns", "must be true or false"],
    [{ path: [] }, "path", "unknown option; expected one of headers, paths, query, patterns"],
  ])("refuses %j at %s", (options, path, message) => {
    let caught: unknown;
    try {
      compileRedactor(options as RedactionOptions);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).problems).toEqual([{ path, message }]);
  });
});

describe("redactor: properties", () => {
  const redact = compileRedactor({ paths: ["body.**.id", "body.*[]"], query: ["q"], headers: ["etag"] });

  it("never throws on any value, and hides every e-mail address it is given", () => {
    fc.assert(
      fc.property(jsonArb, fc.string(), fc.string(), (value, s, u) => {
        redact.json(value);
        redact.text(s);
        redact.url(u);
        redact.headers({ etag: s, "x-a": [s, u], b: u });
        redact.difference({ path: s, location: u, kind: "changed", baseline: value, dark: s });
        expect(JSON.stringify(redact.json({ n: [value, `${s}bob@example.com ${u}`] }))).not.toContain("bob@example.com");
      }),
    );
  });

  it("never throws on values that are not JSON", () => {
    const hostile = {
      get boom(): never {
        throw new Error("no");
      },
    };
    for (const value of [hostile, new Date(0), 1n, Symbol("s"), () => 1, undefined]) {
      expect(() => redact.json(value)).not.toThrow();
      expect(() => redact.headers(value as never)).not.toThrow();
      expect(() => redact.difference(value as never)).not.toThrow();
      expect(() => redact.text(value as never)).not.toThrow();
      expect(() => redact.url(value as never)).not.toThrow();
    }
    expect(redact.json(hostile)).toBe(REDACTED);
  });
});
