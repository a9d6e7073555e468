import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

const MAX = Number.MAX_SAFE_INTEGER;

describe.each(STORE_FACTORIES)("low findings on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, async (server) => {
    t = server;
    await server?.request("POST", "/api/v1/flags", testFlag("low"));
  });

  it("saturates telemetry counts at 2^53 - 1 instead of failing or losing precision", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const start = new Date(Date.now() - 120_000);
    start.setUTCSeconds(0, 0);
    const count = { flag: "low", variant: "on", reason: "SPLIT", included: true, count: MAX };
    const body = {
      instance: "huge-1",
      intervalStart: start.toISOString(),
      intervalEnd: new Date(start.getTime() + 60_000).toISOString(),
      counts: Array.from({ length: 2_000 }, () => count),
      dropped: MAX,
    };
    for (let i = 0; i < 2; i++) expect((await t.request("POST", "/api/v1/sdk/telemetry", body, { scope: "sdk" })).status).toBe(202);
    const row = await t.server.database.db
      .selectFrom("evaluation_counts")
      .select(["count"])
      .where("instance", "=", "huge-1")
      .executeTakeFirstOrThrow();
    expect(String(row.count)).toBe(String(MAX));
    const stats = await t.request("GET", `/api/v1/evaluations/stats?flag=low&since=${encodeURIComponent(start.toISOString())}`);
    expect(stats.status).toBe(200);
    expect(stats.body.total).toBe(MAX);
  });

  it("refuses split weights with more than two decimals (1e-300)", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const flag = testFlag("tiny-weight", {
      fallthrough: {
        split: [
          { variant: "on", weight: 1e-300 },
          { variant: "off", weight: 100 },
        ],
      },
    });
    const created = await t.request("POST", "/api/v1/flags", flag);
    expect(created.status).toBe(400);
    expect(created.body.details).toContainEqual({
      path: "fallthrough.split[0].weight",
      message: "must be from 0 to 100 with at most two decimals, got 1e-300",
    });
    const fine = testFlag("fine-weight", {
      fallthrough: {
        split: [
          { variant: "on", weight: 0.29 },
          { variant: "off", weight: 99.71 },
        ],
      },
    });
    expect((await t.request("POST", "/api/v1/flags", fine)).status).toBe(201);
  });

  it("accepts a flag from GET back on PUT, ignoring its read-only fields", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const got = await t.request("GET", "/api/v1/flags/low");
    expect(got.body).toMatchObject({ archived: false, createdAt: expect.any(String), percentage: 10 });
    const put = await t.request("PUT", "/api/v1/flags/low", { ...got.body, description: "round trip", archived: true, percentage: 55 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ description: "round trip", archived: false, percentage: 10, version: got.body.version + 1 });
  });

  it("requires a version on PUT (body or If-Match): 428 naming both ways, nothing reset", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const before = (await t.request("GET", "/api/v1/flags/low")).body;
    const { version: _v, ...withoutVersion } = before;
    const put = await t.request("PUT", "/api/v1/flags/low", { ...withoutVersion, enabled: undefined });
    expect(put.status).toBe(428);
    expect(put.body).toEqual({ code: "VERSION_REQUIRED", message: expect.stringMatching(/`version` in the body or as If-Match/) });
    expect((await t.request("GET", "/api/v1/flags/low")).body).toEqual(before);
    const viaHeader = await t.request("PUT", "/api/v1/flags/low", withoutVersion, { headers: { "if-match": `"${before.version}"` } });
    expect(viaHeader.status).toBe(200);
  });

  it("answers Fastify's own errors in the one error shape", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const long = await t.server.app.inject({
      method: "GET",
      url: `/api/v1/flags/${"k".repeat(3000)}`,
      headers: { authorization: `Bearer ${t.secrets.read}` },
    });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toEqual({ code: "URI_TOO_LONG", message: expect.any(String) });
    const badUrl = await t.server.app.inject({
      method: "GET",
      url: "/api/v1/flags/%E0%A4%A",
      headers: { authorization: `Bearer ${t.secrets.read}` },
    });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toEqual({ code: "BAD_REQUEST", message: expect.any(String) });
    const big = await t.server.app.inject({
      method: "POST",
      url: "/api/v1/flags",
      headers: { authorization: `Bearer ${t.secrets.write}`, "content-type": "application/json" },
      payload: JSON.stringify({ key: "x", description: "d".repeat(17 * 1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ code: "BODY_TOO_LARGE", message: expect.any(String) });
  });
});
