import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

const ids = (prefix: string, n: number, width = 0) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`.padEnd(width, "x"));

describe.each(STORE_FACTORIES.slice(0, 1))("size limits on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it("refuses variant values over 64 KiB as JSON, naming the variant", async () => {
    if (!t) return;
    const big = testFlag("big-variant", { variants: { on: "x".repeat(64 * 1024), off: "y" } });
    const created = await t.request("POST", "/api/v1/flags", big);
    expect(created.status).toBe(400);
    expect(created.body.details).toEqual([
      { path: "variants.on", message: "is 65538 bytes as JSON; a variant value is at most 65536 bytes (64 KiB)" },
    ]);
    const fits = testFlag("fits-variant", { variants: { on: "x".repeat(60 * 1024), off: "y" } });
    expect((await t.request("POST", "/api/v1/flags", fits)).status).toBe(201);
  });

  it("refuses a segment past 200 000 ids, storing nothing of the call", async () => {
    if (!t) return;
    expect((await t.request("POST", "/api/v1/segments", { key: "many", ids: ids("a", 100_000) })).status).toBe(201);
    expect((await t.request("POST", "/api/v1/segments/many/ids", { add: ids("b", 100_000) })).status).toBe(200);
    const over = await t.request("POST", "/api/v1/segments/many/ids", { add: ["one-more", "two-more"] });
    expect(over.status).toBe(400);
    expect(over.body.details).toEqual([{ path: "ids", message: 'segment "many" would hold 200002 ids; a segment holds at most 200000' }]);
    expect((await t.request("GET", "/api/v1/segments/many")).body).toMatchObject({ idCount: 200_000, version: 2 });
    expect((await t.request("DELETE", "/api/v1/segments/many")).status).toBe(204);
  }, 60_000);

  it("refuses ids past 16 Mi characters over all segments (the bulk of a snapshot)", async () => {
    if (!t) return;
    expect((await t.request("POST", "/api/v1/segments", { key: "wide-1", ids: ids("w1", 9_000, 1024) })).status).toBe(201);
    const over = await t.request("POST", "/api/v1/segments", { key: "wide-2", ids: ids("w2", 9_000, 1024) });
    expect(over.status).toBe(400);
    expect(over.body.details[0].message).toMatch(/all segments' ids would total 18432000 characters; at most 16777216/);
    expect((await t.request("GET", "/api/v1/segments/wide-2")).status).toBe(404);
  }, 60_000);
});
