import { ValidationError } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import { parseProxyConfig } from "./proxy-config.js";

const route = { match: { pathPrefix: "/api" }, flag: "search-v2", stable: "http://127.0.0.1:3000", dark: "http://127.0.0.1:3001/" };

function problemsOf(input: unknown): string[] {
  try {
    parseProxyConfig(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("parseProxyConfig", () => {
  it("fills the defaults", () => {
    const config = parseProxyConfig({ routes: [route] });
    expect(config).toEqual({
      listen: "127.0.0.1:8080",
      adminListen: "127.0.0.1:9464",
      routes: [
        {
          ...route,
          dark: "http://127.0.0.1:3001",
          name: "/api",
          mirrorMethods: ["GET", "HEAD", "OPTIONS"],
          maxInflight: 100,
          timeoutMs: 2000,
          bodyLimit: 1048576,
          compare: {},
          redaction: {},
          breaker: { failures: 5, errorRate: 0.5, window: 20, openMs: 10_000 },
          fallback: true,
        },
      ],
    });
    expect(parseProxyConfig(config)).toEqual(config); // parsing is idempotent
  });

  it("keeps what is given", () => {
    const config = parseProxyConfig({
      listen: "0.0.0.0:9000",
      controlPlane: { url: "http://127.0.0.1:4700", token: "dl_sdk_x" },
      flushIntervalMs: 1000,
      routes: [
        {
          ...route,
          name: "search",
          secondary: "http://127.0.0.1:3002",
          subject: "cookie:uid",
          mirrorMethods: "get,post",
          maxInflight: 5,
          mirrorRate: 2.5,
          breaker: { failures: 2, openMs: 50 },
          compare: { ignore: ["body.**.updatedAt"] },
          redaction: { paths: ["body.user.email"] },
          fallback: false,
        },
      ],
    });
    expect(config.routes[0]).toMatchObject({
      name: "search",
      subject: "cookie:uid",
      mirrorMethods: ["GET", "POST"],
      maxInflight: 5,
      mirrorRate: 2.5,
      breaker: { failures: 2, errorRate: 0.5, window: 20, openMs: 50 },
      fallback: false,
    });
    expect(config.controlPlane).toEqual({ url: "http://127.0.0.1:4700", token: "dl_sdk_x" });
  });

  it("names every bad field", () => {
    expect(
      problemsOf({
        listen: "8080",
        bogus: 1,
        routes: [
          route,
          {
            match: { pathPrefix: "api" },
            flag: "",
            stable: "ftp://x",
            dark: "not a url",
            subject: "body:user",
            maxInflight: 0,
            timeoutMs: 3_000_000_000,
            bodyLimit: "1mb",
            mirrorRate: -1,
            mirrorMethods: ["G T"],
            breaker: { window: 5, errorRate: 2, nope: 1 },
            compare: { ignore: "body.id", tolerance: { relative: -1 } },
            redaction: { patterns: "yes" },
          },
        ],
      }),
    ).toEqual([
      "bogus: unknown field",
      'listen: must be host:port, e.g. 127.0.0.1:8080, got "8080"',
      'routes[1].match.pathPrefix: must be a path starting with "/"',
      "routes[1].flag: must be a flag key",
      'routes[1].stable: must be an http(s) URL without query or credentials, got "ftp://x"',
      'routes[1].dark: must be an http(s) URL without query or credentials, got "not a url"',
      'routes[1].subject: must be header:NAME, cookie:NAME or query:NAME (e.g. header:x-user-id), got "body:user"',
      'routes[1].mirrorMethods: must be a list of HTTP methods, e.g. GET,HEAD, got ["G T"]',
      "routes[1].maxInflight: must be a whole number of at least 1, got 0",
      "routes[1].timeoutMs: must be a whole number from 1 to 2147483647, got 3000000000",
      'routes[1].bodyLimit: must be a whole number of at least 0, got "1mb"',
      "routes[1].mirrorRate: must be a positive number of mirrors per second, got -1",
      "routes[1].breaker.nope: unknown field (failures, errorRate, window, openMs)",
      "routes[1].breaker.window: must be a whole number of at least 20, got 5",
      "routes[1].breaker.errorRate: must be a number above 0 and at most 1, got 2",
      expect.stringMatching(/^routes\[1\]\.compare\.ignore: /),
      expect.stringMatching(/^routes\[1\]\.compare\.tolerance\.relative: /),
      expect.stringMatching(/^routes\[1\]\.redaction\.patterns: /),
    ]);
  });

  it("says what is wrong in its message", () => {
    expect(() => parseProxyConfig({ routes: [route, { ...route, stable: "nope" }] })).toThrow(
      'the proxy configuration is invalid: routes[1].stable: must be an http(s) URL without query or credentials, got "nope"',
    );
    expect(() => parseProxyConfig({ routes: [{ ...route, dark: "http://user:secret@127.0.0.1:3001" }] })).toThrow(
      "routes[0].dark: must be an http(s) URL",
    );
    expect(() => parseProxyConfig({ flushIntervalMs: 2 ** 31, routes: [route] })).toThrow(
      "flushIntervalMs: must be a whole number from 1 to 2147483647, got 2147483648",
    );
    // Windows of a server run with short minutes (tests and demos): a minute at most.
    expect(parseProxyConfig({ minuteMs: 1000, routes: [route] }).minuteMs).toBe(1000);
    expect(() => parseProxyConfig({ minuteMs: 120_000, routes: [route] })).toThrow("minuteMs: must be a whole number from 1 to 60000");
    expect(() => parseProxyConfig({ routes: [] })).toThrow("routes: must be a non-empty array of routes");
    expect(() => parseProxyConfig("yaml?")).toThrow("must be an object");
  });
});
