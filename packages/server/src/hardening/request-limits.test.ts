import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

async function rowCount(t: TestServer, table: "evaluations"): Promise<number> {
  const row = await t.server.database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const HUGE = "x".repeat(1_000_000);

describe.each(STORE_FACTORIES)("request limits on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(
    factory,
    async (server) => {
      t = server;
      for (const key of ["lim-a", "lim-b", "lim-c"]) await server?.request("POST", "/api/v1/flags", testFlag(key));
    },
    { rateLimits: { evaluationsPerMinute: 40, ingestPerMinute: 5, authFailuresPerMinute: 20 } },
  );

  it("refuses subjects and attributes over 1 024 characters in evaluate, check and OFREP, storing nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const before = await rowCount(t, "evaluations");
    const evaluate = await t.request("POST", "/api/v1/flags/lim-a/evaluate", { context: { id: HUGE } });
    expect(evaluate.status).toBe(400);
    expect(evaluate.body.details).toEqual([{ path: "context.id", message: "must be at most 1024 characters, got 1000000" }]);
    const attribute = await t.request("POST", "/api/v1/flags/lim-a/evaluate", { context: { id: "u1", tags: ["ok", "y".repeat(1025)] } });
    expect(attribute.body.details[0].path).toBe("context.tags[1]");
    const check = await t.request("POST", "/api/v1/flags/lim-a/check", { ids: ["fine", "z".repeat(1025)] });
    expect(check.status).toBe(400);
    expect(check.body.details[0].path).toBe("ids[1]");
    const single = await t.request("POST", "/ofrep/v1/evaluate/flags/lim-a", { context: { targetingKey: HUGE } }, { scope: "sdk" });
    expect(single.status).toBe(400);
    expect(single.body).toMatchObject({
      key: "lim-a",
      errorCode: "INVALID_CONTEXT",
      errorDetails: expect.stringContaining("context.targetingKey"),
    });
    const bulk = await t.request("POST", "/ofrep/v1/evaluate/flags", { context: { targetingKey: HUGE } }, { scope: "sdk" });
    expect(bulk.status).toBe(400);
    expect(bulk.body.errorCode).toBe("INVALID_CONTEXT");
    expect(await rowCount(t, "evaluations")).toBe(before);
  });

  it("records one evaluation-log row per OFREP bulk call, however many flags it evaluates", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const before = await rowCount(t, "evaluations");
    const bulk = await t.request("POST", "/ofrep/v1/evaluate/flags", { context: { targetingKey: "bulk-1" } }, { scope: "sdk" });
    expect(bulk.status).toBe(200);
    expect(bulk.body.flags.length).toBeGreaterThanOrEqual(3);
    expect(await rowCount(t, "evaluations")).toBe(before + 1);
  });

  it("limits ingest per token: 429 with Retry-After and the error body, other tokens unaffected", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const post = (scope: "sdk" | "admin") => t!.request("POST", "/api/v1/observations", { windows: [] }, { scope });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post("sdk")).status);
    expect(statuses.slice(0, 5).every((s) => s === 202)).toBe(true);
    const limited = await post("sdk");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.body).toEqual({
      code: "RATE_LIMITED",
      message: expect.stringMatching(/at most 5 a minute; retry in \d+ s/),
      details: { retryAfterSeconds: expect.any(Number) },
    });
    expect((await post("admin")).status).toBe(202);
  });

  it("limits OFREP per token in OFREP's shape", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    let last: Awaited<ReturnType<TestServer["request"]>> | undefined;
    for (let i = 0; i < 45; i++) {
      last = await t.request("POST", "/ofrep/v1/evaluate/flags/lim-b", { context: { targetingKey: `r${i}` } }, { scope: "sdk" });
      if (last.status === 429) break;
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers["retry-after"])).toBeGreaterThan(0);
    expect(last?.body).toEqual({ errorDetails: expect.stringMatching(/too many evaluation calls/) });
  });

  it("throttles failed authentication per address: 429 after 20 failures, even for a good token", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const guess = (token: string) =>
      t!.request("GET", "/api/v1/flags", undefined, { scope: "none", headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 20; i++) expect((await guess(`dl_admin_guess-${i}`)).status).toBe(401);
    const refused = await guess("dl_admin_guess-21");
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/too many failed authentications from 127\.0\.0\.1: at most 20 a minute/);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect((await t.request("GET", "/api/v1/flags")).status).toBe(429);
  });
});
