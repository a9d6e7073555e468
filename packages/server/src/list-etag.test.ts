import { useListeningSqliteServer } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { ADMIN_SECRET, type TestServer, testFlag } from "./test-support.js";

/** Over real HTTP: list reads carry a weak ETag, answer 304 on If-None-Match, and a change makes a new tag. */
describe("ETags on list reads", () => {
  let t: TestServer;
  let url: string;
  useListeningSqliteServer([], (server, base) => {
    t = server;
    url = base;
  });

  const get = (path: string, etag?: string) =>
    fetch(`${url}${path}`, {
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, ...(etag === undefined ? {} : { "if-none-match": etag }) },
    });

  async function expectCached(path: string): Promise<string> {
    const first = await get(path);
    expect(first.status, path).toBe(200);
    const etag = first.headers.get("etag") ?? "";
    expect(etag, path).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    expect(first.headers.get("cache-control")).toBe("private, no-cache");
    const again = await get(path, etag);
    expect(again.status, path).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    // A strong spelling of the same tag, in a list, matches too (weak comparison).
    expect((await get(path, `"other", ${etag.slice(2)}`)).status).toBe(304);
    expect((await get(path, `W/"not-it"`)).status).toBe(200);
    return etag;
  }

  it("flags, audit, ramps and observations answer 304 while nothing changed, and a new tag after a change", async () => {
    expect((await t.request("POST", "/api/v1/flags", testFlag("etag-a"))).status).toBe(201);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();
    const window = {
      flag: "etag-a",
      source: "api",
      route: "GET /x",
      start: minute,
      baseline: { errors: 0, latenciesMs: [10, 11] },
      dark: { errors: 0, latenciesMs: [12, 13] },
      comparison: { total: 2, matched: 1, mismatched: 1, noiseTotal: 0, fields: { "body.a": 1 }, noise: {} },
    };
    expect((await t.request("POST", "/api/v1/observations", { windows: [window] })).status).toBe(202);

    const flags = await expectCached("/api/v1/flags");
    await expectCached("/api/v1/audit?limit=10");
    await expectCached("/api/v1/flags/etag-a/audit");
    await expectCached("/api/v1/ramps");
    const period = `since=${encodeURIComponent(minute)}&until=${encodeURIComponent(new Date(Date.parse(minute) + 120_000).toISOString())}`;
    await expectCached(`/api/v1/flags/etag-a/observations?${period}`);
    await expectCached(`/api/v1/flags/etag-a/mismatches?${period}`);
    await expectCached("/api/v1/flags/etag-a/judge");

    expect((await t.request("PATCH", "/api/v1/flags/etag-a", { percentage: 30 })).status).toBe(200);
    const changed = await get("/api/v1/flags", flags);
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(flags);
    expect(((await changed.json()) as { flags: { percentage: number }[] }).flags[0]?.percentage).toBe(30);
  });

  it("tags no error answer", async () => {
    const missing = await get("/api/v1/flags/nope/audit");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("etag")).toBeNull();
  });
});
