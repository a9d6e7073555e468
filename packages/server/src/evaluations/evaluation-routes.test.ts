import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";
import type { EvaluationWrite } from "./evaluation-store.js";

function row(flag: string, at: number, overrides: Partial<EvaluationWrite> = {}): EvaluationWrite {
  return {
    at: new Date(at).toISOString(),
    flag,
    flagVersion: 3,
    subject: "u1",
    variant: "on",
    verdict: "include",
    reason: "ROLLOUT_INCLUDED",
    position: 4.2,
    source: "sdk",
    ...overrides,
  };
}

const half = {
  fallthrough: {
    split: [
      { variant: "on", weight: 50 },
      { variant: "off", weight: 50 },
    ],
  },
};

describe.each(STORE_FACTORIES)("evaluations API on $name", (factory) => {
  let t: TestServer | undefined;

  beforeAll(async () => {
    const store = await factory.create();
    if (!store) return;
    t = await startTestServer(store);
    await t.request("POST", "/api/v1/flags", testFlag("eval-half", half));
    await t.request("POST", "/api/v1/flags", testFlag("eval-account", { ...half, bucketBy: "accountId" }));
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  it("evaluates like the check endpoint and records what it served", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const ids = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const checked = await t.request("POST", "/api/v1/flags/eval-half/check", { ids }, { scope: "read" });
    for (const [i, id] of ids.entries()) {
      const response = await t.request("POST", "/api/v1/flags/eval-half/evaluate", { context: { id, country: "NL" } }, { scope: "read" });
      expect(response.status).toBe(200);
      const expected = checked.body.results[i];
      expect(response.body).toMatchObject({
        flagKey: "eval-half",
        flagVersion: 1,
        subject: id,
        variant: expected.variant,
        value: expected.value,
        included: expected.included,
        verdict: expected.verdict,
        reason: expected.reason,
        position: expected.position,
        errorCode: null,
      });
    }
    const logged = await t.request("GET", "/api/v1/evaluations?flag=eval-half&limit=1000", undefined, { scope: "read" });
    expect(logged.status).toBe(200);
    expect(logged.body.evaluations).toHaveLength(20);
    const newest = logged.body.evaluations[0];
    const last = checked.body.results[19];
    expect(newest).toEqual({
      id: expect.any(Number),
      at: expect.any(String),
      flag: "eval-half",
      flagVersion: 1,
      subject: "user-19",
      variant: last.variant,
      verdict: last.verdict,
      reason: last.reason,
      position: last.position,
      source: "server",
    });
    const included = checked.body.results.filter((r: { included: boolean }) => r.included).length;
    expect(included).toBeGreaterThan(0);
    expect(included).toBeLessThan(20);
    const stats = await t.request("GET", "/api/v1/evaluations/stats?flag=eval-half&period=1h", undefined, { scope: "read" });
    expect(stats.body).toMatchObject({ total: 20, byVerdict: { include: included, exclude: 20 - included } });
    expect(stats.body.flags).toEqual([
      { flag: "eval-half", total: 20, include: included, exclude: 20 - included, includeRate: included / 20 },
    ]);
  });

  it("takes the subject from the flag's bucketBy attribute, or null when the context has none", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const byAccount = await t.request("POST", "/api/v1/flags/eval-account/evaluate", { context: { id: "u1", accountId: 4711 } });
    expect(byAccount.body.subject).toBe("4711");
    const missing = await t.request("POST", "/api/v1/flags/eval-account/evaluate", { context: { id: "u1" } });
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ subject: null, reason: "MISSING_SUBJECT", verdict: "exclude" });
    const empty = await t.request("POST", "/api/v1/flags/eval-account/evaluate", {});
    expect(empty.body.subject).toBeNull();
    const logged = await t.request("GET", "/api/v1/evaluations?flag=eval-account");
    expect(logged.body.evaluations.map((e: { subject: string | null }) => e.subject)).toEqual([null, null, "4711"]);
    expect(logged.body.evaluations[1].reason).toBe("MISSING_SUBJECT");
  });

  it("records the flag version the evaluation used", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags", testFlag("eval-versions", half));
    await t.request("PATCH", "/api/v1/flags/eval-versions", { percentage: 100 });
    const response = await t.request("POST", "/api/v1/flags/eval-versions/evaluate", { context: { id: "anyone" } });
    expect(response.body).toMatchObject({ flagVersion: 2, included: true, verdict: "include" });
    const logged = await t.request("GET", "/api/v1/evaluations?flag=eval-versions");
    expect(logged.body.evaluations[0].flagVersion).toBe(2);
  });

  it("answers 404 for an unknown flag and 409 for an archived one, recording nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const unknown = await t.request("POST", "/api/v1/flags/ghost/evaluate", { context: { id: "u1" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ code: "NOT_FOUND", message: 'flag "ghost" does not exist' });
    await t.request("POST", "/api/v1/flags", testFlag("eval-archived"));
    await t.request("POST", "/api/v1/flags/eval-archived/archive", {});
    const archived = await t.request("POST", "/api/v1/flags/eval-archived/evaluate", { context: { id: "u1" } });
    expect(archived.status).toBe(409);
    expect(archived.body.code).toBe("IN_USE");
    for (const flag of ["ghost", "eval-archived"]) {
      expect((await t.request("GET", `/api/v1/evaluations?flag=${flag}`)).body.evaluations).toEqual([]);
    }
  });

  it("lists newest first with filters and pages by id", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const base = Date.now() - 2 * 3_600_000;
    await t.server.context.evaluations.record([
      row("list-a", base, { subject: "s1" }),
      row("list-a", base + 1000, { subject: "s2", verdict: "exclude", reason: "ROLLOUT_EXCLUDED", variant: "off" }),
      row("list-a", base + 2000, { subject: "s3", reason: "OVERRIDE" }),
      row("list-b", base + 3000, { subject: "s1", source: "server" }),
      row("list-a", base + 4000, { subject: "s1", verdict: "exclude", reason: "DISABLED", variant: "off" }),
      row("list-a", base + 60 * 60_000 + 30_000, { subject: "s4" }),
    ]);
    const get = async (query: string) => {
      const response = await t!.request("GET", `/api/v1/evaluations?${query}`, undefined, { scope: "read" });
      expect(response.status, query).toBe(200);
      return response.body.evaluations.map((e: { subject: string; flag: string }) => `${e.flag}/${e.subject}`);
    };
    expect(await get("flag=list-a")).toEqual(["list-a/s4", "list-a/s1", "list-a/s3", "list-a/s2", "list-a/s1"]);
    expect(await get("flag=list-a&verdict=exclude")).toEqual(["list-a/s1", "list-a/s2"]);
    expect(await get("flag=list-a&verdict=include")).toEqual(["list-a/s4", "list-a/s3", "list-a/s1"]);
    expect(await get("reason=OVERRIDE&flag=list-a")).toEqual(["list-a/s3"]);
    expect(await get("subject=s1&since=3h")).toEqual(["list-a/s1", "list-b/s1", "list-a/s1"]);
    expect(await get("subject=s1&source=server")).toEqual(["list-b/s1"]);
    expect(
      await get(
        `flag=list-a&since=${encodeURIComponent(new Date(base + 1000).toISOString())}&until=${encodeURIComponent(new Date(base + 4000).toISOString())}`,
      ),
    ).toEqual(["list-a/s3", "list-a/s2"]);
    expect(await get("flag=list-a&until=1h")).toEqual(["list-a/s1", "list-a/s3", "list-a/s2", "list-a/s1"]);
    expect(await get("flag=list-a&since=1h")).toEqual(["list-a/s4"]);

    const first = await t.request("GET", "/api/v1/evaluations?flag=list-a&limit=2");
    expect(first.body.evaluations).toHaveLength(2);
    expect(first.body.nextBefore).toBe(first.body.evaluations[1].id);
    const second = await t.request("GET", `/api/v1/evaluations?flag=list-a&limit=2&before=${first.body.nextBefore}`);
    const third = await t.request("GET", `/api/v1/evaluations?flag=list-a&limit=2&before=${second.body.nextBefore}`);
    expect(third.body.evaluations).toHaveLength(1);
    expect(third.body.nextBefore).toBeNull();
    const all = await t.request("GET", "/api/v1/evaluations?flag=list-a");
    expect([...first.body.evaluations, ...second.body.evaluations, ...third.body.evaluations]).toEqual(all.body.evaluations);
    expect(all.body.nextBefore).toBeNull();
  });

  it("counts over a period or a since/until window", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const now = Date.now();
    await t.server.context.evaluations.record([
      row("period", now - 10 * 60_000),
      row("period", now - 20 * 60_000, { verdict: "exclude", reason: "ROLLOUT_EXCLUDED", variant: "off" }),
      row("period", now - 90 * 60_000),
      row("period", now - 2 * 86_400_000),
    ]);
    const stats = async (query: string) => {
      const response = await t!.request("GET", `/api/v1/evaluations/stats?flag=period&${query}`, undefined, { scope: "read" });
      expect(response.status, query).toBe(200);
      return response.body;
    };
    expect((await stats("period=30m")).total).toBe(2);
    expect((await stats("period=1h")).byVerdict).toEqual({ include: 1, exclude: 1 });
    expect((await stats("period=2h")).total).toBe(3);
    const day = await stats("");
    expect(day.total).toBe(3);
    expect(Date.parse(day.until) - Date.parse(day.since)).toBe(86_400_000);
    expect((await stats("since=3d")).total).toBe(4);
    expect((await stats("since=3d&until=1d")).total).toBe(1);
    const window = await stats("since=2h&until=15m");
    expect(window).toMatchObject({ total: 2, byReason: { ROLLOUT_INCLUDED: 1, ROLLOUT_EXCLUDED: 1 }, byVariant: { on: 1, off: 1 } });
    expect(window.flags).toEqual([{ flag: "period", total: 2, include: 1, exclude: 1, includeRate: 0.5 }]);
  });

  it("names the bad field in a 400", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const cases: [string, string, unknown, string][] = [
      ["POST", "/api/v1/flags/eval-half/evaluate", { context: "u1" }, "context"],
      ["POST", "/api/v1/flags/eval-half/evaluate", { context: [1] }, "context"],
      ["POST", "/api/v1/flags/eval-half/evaluate", { context: {}, extra: true }, ""],
      ["POST", "/api/v1/flags/Not%20A%20Key/evaluate", { context: {} }, "key"],
      ["GET", "/api/v1/evaluations?verdict=deny", undefined, "verdict"],
      ["GET", "/api/v1/evaluations?since=last-week", undefined, "since"],
      ["GET", "/api/v1/evaluations?until=2026-02-30", undefined, "until"],
      ["GET", "/api/v1/evaluations?limit=5000", undefined, "limit"],
      ["GET", "/api/v1/evaluations?before=0", undefined, "before"],
      ["GET", "/api/v1/evaluations?source=cli", undefined, "source"],
      ["GET", "/api/v1/evaluations?flag=Bad%20Flag", undefined, "flag"],
      ["GET", "/api/v1/evaluations?nope=1", undefined, ""],
      ["GET", "/api/v1/evaluations/stats?period=1y", undefined, "period"],
      ["GET", "/api/v1/evaluations/stats?period=0h", undefined, "period"],
      ["GET", "/api/v1/evaluations/stats?period=1d&since=2h", undefined, "period"],
      ["GET", "/api/v1/evaluations/stats?since=1h&until=2h", undefined, "since"],
      ["GET", "/api/v1/evaluations/stats?limit=3", undefined, ""],
    ];
    for (const [method, url, body, path] of cases) {
      const response = await t.request(method, url, body, { scope: "read" });
      expect(response.status, `${method} ${url}`).toBe(400);
      expect(response.body.code, url).toBe("VALIDATION_FAILED");
      expect(
        response.body.details.map((d: { path: string }) => d.path),
        url,
      ).toContain(path);
    }
    const notJson = await t.request("POST", "/api/v1/flags/eval-half/evaluate", "{nope", { scope: "read" });
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe("INVALID_JSON");
  });

  it("needs read scope: 401 without a token, 403 for sdk, both JSON with a code", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const routes: [string, string, unknown][] = [
      ["POST", "/api/v1/flags/eval-half/evaluate", { context: { id: "u1" } }],
      ["GET", "/api/v1/evaluations", undefined],
      ["GET", "/api/v1/evaluations/stats", undefined],
    ];
    for (const [method, url, body] of routes) {
      const anonymous = await t.request(method, url, body, { scope: "none" });
      expect(anonymous.status, url).toBe(401);
      expect(anonymous.body).toMatchObject({ code: "UNAUTHORIZED", message: expect.any(String) });
      const sdk = await t.request(method, url, body, { scope: "sdk" });
      expect(sdk.status, url).toBe(403);
      expect(sdk.body).toMatchObject({ code: "FORBIDDEN", message: expect.any(String) });
      for (const scope of ["read", "write", "admin"] as const)
        expect((await t.request(method, url, body, { scope })).status, `${url} as ${scope}`).toBe(200);
    }
  });
});
