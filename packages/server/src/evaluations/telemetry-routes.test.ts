import { describe, expect, it } from "vitest";
import { retainedStores } from "../composition-root.js";
import { kyselyStores } from "../store/kysely-stores.js";
import { pruneAll } from "../store/retention.js";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

function report(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const start = new Date(Date.now() - 120_000);
  start.setUTCSeconds(0, 0);
  return {
    instance: "api-1",
    sdk: { name: "@darklaunch/sdk", version: "0.1.0" },
    intervalStart: start.toISOString(),
    intervalEnd: new Date(start.getTime() + 30_000).toISOString(),
    counts: [
      { flag: "tele", variant: "on", reason: "ROLLOUT_INCLUDED", included: true, count: 7 },
      { flag: "tele", variant: "off", reason: "ROLLOUT_EXCLUDED", included: false, count: 93 },
    ],
    samples: [
      {
        at: new Date(start.getTime() + 1_000).toISOString(),
        flag: "tele",
        flagVersion: 1,
        subject: "s1",
        variant: "off",
        reason: "ROLLOUT_EXCLUDED",
        position: 55.5,
        included: false,
      },
    ],
    dropped: 2,
    ...overrides,
  };
}

describe.each(STORE_FACTORIES)("SDK telemetry on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, async (server) => {
    t = server;
    await t?.request("POST", "/api/v1/flags", testFlag("tele"));
  });

  it("names bad fields in a 400 and enforces the caps", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const post = (body: unknown) => t!.request("POST", "/api/v1/sdk/telemetry", body, { scope: "sdk" });
    const paths = async (body: unknown) => {
      const response = await post(body);
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      return response.body.details.map((d: { path: string }) => d.path);
    };
    expect(await paths(report({ instance: "" }))).toContain("instance");
    expect(await paths(report({ intervalStart: "yesterday" }))).toContain("intervalStart");
    expect(await paths(report({ intervalEnd: "2000-01-01T00:00:00Z" }))).toContain("intervalEnd");
    expect(await paths(report({ counts: [{ flag: "tele", variant: "on", reason: "X", included: true, count: 0 }] }))).toContain(
      "counts[0].count",
    );
    expect(
      await paths(report({ samples: [{ at: "nope", flag: "tele", subject: "s", variant: null, reason: "ERROR", included: "no" }] })),
    ).toEqual(expect.arrayContaining(["samples[0].at", "samples[0].included"]));
    const row = { flag: "tele", variant: "on", reason: "FALLTHROUGH", included: true, count: 1 };
    expect(await paths(report({ counts: Array.from({ length: 10_001 }, () => row) }))).toContain("counts");
    const sample = (report().samples as unknown[])[0];
    expect(await paths(report({ samples: Array.from({ length: 1_001 }, () => sample) }))).toContain("samples");
    expect(await paths(report({ extra: 1 }))).toEqual([""]);
    expect((await post([])).status).toBe(400);
    expect((await t.request("POST", "/api/v1/sdk/telemetry", report(), { scope: "read" })).status).toBe(403);
    expect((await post(report({ counts: Array.from({ length: 10_000 }, () => row), samples: [] }))).status).toBe(202);
    await t.server.database.db.deleteFrom("evaluation_counts").execute();
    await t.server.database.db.deleteFrom("telemetry_reports").execute();
  });

  it("merges counts of one interval exactly, keeps samples as sdk evaluations, and stats include both once", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const body = report();
    const stats0 = (await t.request("GET", "/api/v1/evaluations/stats?flag=tele&period=1h")).body;
    expect(stats0.total).toBe(0);
    for (let i = 0; i < 2; i++) expect((await t.request("POST", "/api/v1/sdk/telemetry", body, { scope: "sdk" })).status).toBe(202);
    const db = t.server.database.db;
    const rows = await db.selectFrom("evaluation_counts").selectAll().where("flag", "=", "tele").orderBy("variant").execute();
    expect(
      rows.map((r) => ({
        instance: r.instance,
        minute: r.minute,
        variant: r.variant,
        verdict: r.verdict,
        count: Number(r.count),
        sampled: Number(r.sampled),
      })),
    ).toEqual([
      { instance: "api-1", minute: body.intervalStart, variant: "off", verdict: "exclude", count: 186, sampled: 2 },
      { instance: "api-1", minute: body.intervalStart, variant: "on", verdict: "include", count: 14, sampled: 0 },
    ]);
    expect(await t.server.context.evaluations.droppedIn("api-1", String(body.intervalStart))).toBe(4);

    const samples = (await t.request("GET", "/api/v1/evaluations?flag=tele&source=sdk")).body.evaluations;
    expect(samples).toHaveLength(2);
    expect(samples[0]).toMatchObject({
      flag: "tele",
      subject: "s1",
      variant: "off",
      verdict: "exclude",
      reason: "ROLLOUT_EXCLUDED",
      position: 55.5,
      flagVersion: 1,
      source: "sdk",
    });

    // 200 evaluations counted by the SDK, 2 of them also sampled into the log: counted once.
    const stats = (await t.request("GET", "/api/v1/evaluations/stats?flag=tele&period=1h")).body;
    expect(stats).toMatchObject({
      total: 200,
      byVerdict: { include: 14, exclude: 186 },
      byReason: { ROLLOUT_INCLUDED: 14, ROLLOUT_EXCLUDED: 186 },
      byVariant: { on: 14, off: 186 },
      flags: [{ flag: "tele", total: 200, include: 14, exclude: 186, includeRate: 0.07 }],
    });
    // Another instance and a server evaluation add up beside them.
    await t.request("POST", "/api/v1/sdk/telemetry", report({ instance: "api-2", samples: [], dropped: undefined }), { scope: "sdk" });
    await t.request("POST", "/api/v1/flags/tele/evaluate", { context: { id: "x" } }, { scope: "read" });
    expect((await t.request("GET", "/api/v1/evaluations/stats?flag=tele&period=1h")).body.total).toBe(301);
    expect((await t.request("GET", "/api/v1/evaluations/stats?flag=tele&period=1h&source=sdk")).body.total).toBe(300);
    expect((await t.request("GET", "/api/v1/evaluations/stats?flag=tele&period=1h&source=server")).body.total).toBe(1);
    // Counts have no subject: a subject filter counts only the log.
    expect((await t.request("GET", "/api/v1/evaluations/stats?flag=tele&period=1h&subject=s1")).body.total).toBe(2);
  });

  it("retention prunes SDK counts and reports of minutes before the cutoff, and keeps newer ones", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const now = Date.parse("2026-06-15T12:00:00Z");
    const old = new Date(now - 31 * 86_400_000).toISOString();
    const recent = new Date(now - 29 * 86_400_000).toISOString();
    for (const [instance, at] of [
      ["old-instance", old],
      ["recent-instance", recent],
    ] as const) {
      const posted = await t.request(
        "POST",
        "/api/v1/sdk/telemetry",
        report({ instance, intervalStart: at, intervalEnd: at, samples: [] }),
        { scope: "sdk" },
      );
      expect(posted.status).toBe(202);
    }
    const db = t.server.database.db;
    const instances = async (table: "evaluation_counts" | "telemetry_reports") =>
      (await db.selectFrom(table).select("instance").where("instance", "in", ["old-instance", "recent-instance"]).execute())
        .map((r) => r.instance)
        .sort();
    expect(await instances("evaluation_counts")).toContain("old-instance");
    await pruneAll(retainedStores(kyselyStores(db, t.server.database.dialect)), 30, { now });
    expect([...new Set(await instances("evaluation_counts"))]).toEqual(["recent-instance"]);
    expect(await instances("telemetry_reports")).toEqual(["recent-instance"]);
  });
});
