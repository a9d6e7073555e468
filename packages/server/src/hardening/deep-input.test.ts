import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

/** `{"a":{"a":…}}` nested `depth` objects deep, as text (JSON.stringify would itself recurse). */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

const WRITE_ROUTES: [string, string][] = [
  ["POST", "/api/v1/flags"],
  ["PUT", "/api/v1/flags/deep"],
  ["PATCH", "/api/v1/flags/deep"],
  ["PUT", "/api/v1/flags/deep/launch"],
  ["POST", "/api/v1/flags/deep/check"],
  ["POST", "/api/v1/flags/deep/evaluate"],
  ["POST", "/api/v1/segments"],
  ["PUT", "/api/v1/flags/deep/overrides/u1"],
  ["POST", "/api/v1/tokens"],
  ["POST", "/api/v1/sdk/telemetry"],
  ["POST", "/api/v1/observations"],
  ["POST", "/api/v1/alerts/destinations"],
  ["POST", "/ofrep/v1/evaluate/flags/deep"],
  ["POST", "/ofrep/v1/evaluate/flags"],
];

describe.each(STORE_FACTORIES.slice(0, 1))("deep and malformed input on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, async (server) => {
    t = server;
    await server?.request("POST", "/api/v1/flags", testFlag("deep"));
  });

  it.each(WRITE_ROUTES)("%s %s answers 400 naming the path to a body nested 3 160 deep", async (method, url) => {
    if (!t) return;
    const response = await t.request(method, url, nested(3160));
    expect(response.status).toBe(400);
    const text = JSON.stringify(response.body);
    expect(text).toMatch(/nested deeper than 64/);
    expect(text).toContain("a.a.a");
  });

  it("refuses lone surrogates in ids and subjects like NUL, naming the field", async () => {
    if (!t) return;
    const check = await t.request("POST", "/api/v1/flags/deep/check", `{"ids":["ok","${"u\\uD800x"}"]}`);
    expect(check.status).toBe(400);
    expect(check.body.details).toEqual([{ path: "ids[1]", message: expect.stringMatching(/surrogate/) }]);
    const segment = await t.request("POST", "/api/v1/segments", `{"key":"s1","ids":["${"a\\uDC00"}"]}`);
    expect(segment.status).toBe(400);
    expect(segment.body.details[0].path).toBe("ids[0]");
    const override = await t.request("PUT", `/api/v1/flags/deep/overrides/${encodeURIComponent("a")}%ED%A0%80`, { source: "opt-in" });
    expect([400, 404]).toContain(override.status);
  });
});
