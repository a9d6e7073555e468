import { DistinctSketch, MetricCounter, position } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import type { KyselyAuditStore } from "../audit/kysely-audit-store.js";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";
import { KyselyMetricStore, metricTransaction } from "./kysely-metric-store.js";
import { MetricService } from "./metric-service.js";

const MIN = 60_000;
/** A whole minute well inside the retention and the past. */
const T0 = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;
const iso = (ms: number) => new Date(ms).toISOString();
const split = (dark: number) => ({
  split: [
    { variant: "on", weight: dark },
    { variant: "off", weight: 100 - dark },
  ],
});

function subjectWhere(salt: string, wanted: (p: number) => boolean): string {
  for (let i = 0; ; i++) if (wanted(position(`user-${i}`, salt))) return `user-${i}`;
}

describe.each(STORE_FACTORIES)("metrics API on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, async (server) => {
    t = server;
    if (!t) return;
    for (const key of ["m-defs", "m-merge", "m-audit"]) await t.request("POST", "/api/v1/flags", testFlag(key));
    await t.request("POST", "/api/v1/flags", testFlag("m-events", { fallthrough: split(5) }));
  });

  it("adds, lists, replaces and removes a flag's metrics; bad input names the field", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const added = await t.request("POST", "/api/v1/flags/m-defs/metrics", {
      event: "purchase",
      kind: "conversion",
      direction: "up",
      tolerance: 0.02,
      critical: true,
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ key: "purchase_conversion", flagKey: "m-defs", event: "purchase", tolerance: 0.02, critical: true });
    const replaced = await t.request("POST", "/api/v1/flags/m-defs/metrics", {
      key: "purchase_conversion",
      event: "purchase",
      kind: "conversion",
      direction: "up",
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ tolerance: 0, critical: false, createdAt: added.body.createdAt });
    await t.request("POST", "/api/v1/flags/m-defs/metrics", { key: "revenue", event: "purchase", kind: "value", direction: "up" });
    const list = await t.request("GET", "/api/v1/flags/m-defs/metrics", undefined, { scope: "read" });
    expect(list.body.metrics.map((m: { key: string }) => m.key)).toEqual(["purchase_conversion", "revenue"]);
    const sdk = await t.request("GET", "/api/v1/sdk/metrics", undefined, { scope: "sdk" });
    expect(sdk.body.metrics.map((m: { key: string }) => m.key)).toEqual(expect.arrayContaining(["purchase_conversion", "revenue"]));

    const bad = await t.request("POST", "/api/v1/flags/m-defs/metrics", {
      event: "purchase",
      kind: "ratio",
      direction: "up",
      tolerance: -0.02,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(["kind", "tolerance"]));
    expect(
      (await t.request("POST", "/api/v1/flags/m-defs/metrics", { key: "Bad Key", event: "x", kind: "count", direction: "up" })).body
        .details[0].path,
    ).toBe("key");
    expect((await t.request("POST", "/api/v1/flags/nope/metrics", { event: "x", kind: "count", direction: "up" })).status).toBe(404);
    expect(
      (await t.request("POST", "/api/v1/flags/m-defs/metrics", { event: "x", kind: "count", direction: "up" }, { scope: "read" })).status,
    ).toBe(403);

    expect((await t.request("DELETE", "/api/v1/flags/m-defs/metrics/revenue")).status).toBe(204);
    expect((await t.request("DELETE", "/api/v1/flags/m-defs/metrics/revenue")).status).toBe(404);
    const after = await t.request("GET", "/api/v1/flags/m-defs/metrics", undefined, { scope: "read" });
    expect(after.body.metrics.map((m: { key: string }) => m.key)).toEqual(["purchase_conversion"]);
  });

  it("audits metric writes like flag changes (actor, before → after); a write whose audit fails stores nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const body = { key: "orders", event: "purchase", kind: "count", direction: "up" };
    const added = await t.request("POST", "/api/v1/flags/m-audit/metrics", { ...body, tolerance: 0.05 }, { scope: "write" });
    expect(added.status).toBe(201);
    const replaced = await t.request("POST", "/api/v1/flags/m-audit/metrics", { ...body, critical: true }, { scope: "write" });
    expect(replaced.status).toBe(200);
    expect((await t.request("DELETE", "/api/v1/flags/m-audit/metrics/orders", undefined, { scope: "write" })).status).toBe(204);
    // Refused writes leave no entry.
    expect((await t.request("DELETE", "/api/v1/flags/m-audit/metrics/orders", undefined, { scope: "write" })).status).toBe(404);
    expect((await t.request("POST", "/api/v1/flags/m-audit/metrics", { ...body, kind: "ratio" }, { scope: "write" })).status).toBe(400);
    const audit = await t.request("GET", "/api/v1/flags/m-audit/audit?limit=100");
    const entries = (audit.body.entries as { actor: string; action: string; before: unknown; after: unknown }[])
      .filter((e) => e.action.startsWith("metric."))
      .reverse();
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ["metric.create", "write-token"],
      ["metric.replace", "write-token"],
      ["metric.remove", "write-token"],
    ]);
    expect(entries[0]).toMatchObject({ before: null, after: { key: "orders", tolerance: 0.05, critical: false } });
    expect(entries[1]).toMatchObject({ before: { tolerance: 0.05, critical: false }, after: { tolerance: 0, critical: true } });
    expect(entries[2]).toMatchObject({ before: { key: "orders", critical: true }, after: null });

    // The definition and its audit entry are one transaction: an audit store that fails takes the write with it.
    const { database, context } = t.server;
    const failing = new MetricService(
      new KyselyMetricStore(database.db, database.dialect),
      (work) =>
        metricTransaction(database)(({ metrics, audit }) =>
          work({
            metrics,
            audit: Object.assign(Object.create(audit) as KyselyAuditStore, {
              record: () => Promise.reject(new Error("audit store down")),
            }),
          }),
        ),
      context.flags,
      context.rulesets,
    );
    const request = { key: "orders", event: "purchase", kind: "count", direction: "up", tolerance: 0, critical: false } as const;
    await expect(failing.put("m-audit", request, "someone")).rejects.toThrow("audit store down");
    expect((await t.request("GET", "/api/v1/flags/m-audit/metrics", undefined, { scope: "read" })).body.metrics).toEqual([]);
    expect((await t.request("POST", "/api/v1/flags/m-audit/metrics", body)).status).toBe(201);
    await expect(failing.remove("m-audit", "orders", "someone")).rejects.toThrow("audit store down");
    expect((await t.request("GET", "/api/v1/flags/m-audit/metrics", undefined, { scope: "read" })).body.metrics).toHaveLength(1);
  });

  it("merges windows from many SDK instances exactly: the judge's minutes equal those of one counter", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags/m-merge/metrics", { key: "buy", event: "purchase", kind: "conversion", direction: "up" });
    const one = new MetricCounter();
    const parts = [new MetricCounter(), new MetricCounter(), new MetricCounter()];
    for (let i = 0; i < 2_000; i++) {
      const variant = i % 10 === 0 ? "on" : "off";
      const subject = `s${i % 700}`;
      const at = T0 + (i % 3) * MIN;
      for (const c of [one, parts[i % 3] as MetricCounter]) {
        c.expose("m-merge", variant, subject, at);
        if (i % 5 === 0) c.track({ flag: "m-merge", metric: "buy", variant, subject }, 2, at);
      }
    }
    // Posted concurrently, in two halves each: every report of a window counts once.
    const batches = parts.flatMap((c) => {
      const { exposures, windows } = c.drain();
      return [
        { instance: "a", exposures, windows: [] },
        { instance: "b", exposures: [], windows },
      ];
    });
    const answers = await Promise.all(batches.map((b) => t!.request("POST", "/api/v1/sdk/metrics", b, { scope: "sdk" })));
    expect(answers.map((a) => a.status)).toEqual(batches.map(() => 202));
    const expected = one.drain();
    const stored = await t.server.context.metrics.business("m-merge", "on", iso(T0), iso(T0 + 10 * MIN));
    const { businessMinutes } = await import("@darklaunch/core");
    expect(stored[0]?.minutes).toEqual(businessMinutes({ key: "buy", flagKey: "m-merge" }, "on", expected.exposures, expected.windows));
    expect(stored[0]?.minutes).toHaveLength(3);

    // Retention prunes metric and exposure windows of older minutes, and only those.
    const store = new KyselyMetricStore(t.server.database.db, t.server.database.dialect);
    expect(await store.prune(iso(T0 + MIN))).toBeGreaterThan(0);
    const left = await t.server.context.metrics.business("m-merge", "on", iso(T0 - MIN), iso(T0 + 10 * MIN));
    expect(left[0]?.minutes.map((m) => m.start)).toEqual([iso(T0 + MIN), iso(T0 + 2 * MIN)]);

    const unknown = await t.request(
      "POST",
      "/api/v1/sdk/metrics",
      { windows: [{ flag: "nope", metric: "buy", variant: "on", start: iso(T0), events: 0, subjects: { hashes: [] } }] },
      { scope: "sdk" },
    );
    expect(unknown.body).toEqual({ accepted: 0, skipped: [{ flag: "nope", reason: "UNKNOWN_FLAG" }], minuteMs: 60_000 });
    const bad = await t.request(
      "POST",
      "/api/v1/sdk/metrics",
      { windows: [{ flag: "m-merge", metric: "buy", variant: "on", start: iso(T0 + 1), events: 1.5, subjects: { registers: "x" } }] },
      { scope: "sdk" },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(["windows[0].start", "windows[0].events"]),
    );
  });

  it("attributes posted events to the variant the subject has when tracked: it follows a ramp step", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags/m-events/metrics", { key: "buy", event: "paid", kind: "value", direction: "up" });
    const moving = subjectWhere("m-events", (p) => p >= 5 && p < 25);
    const track = (at: number, value: number) =>
      t!.request(
        "POST",
        "/api/v1/events",
        {
          events: [{ event: "paid", context: { id: moving, email: "a@b.c" }, value, at: iso(at) }],
          exposures: [{ flag: "m-events", context: { id: moving }, at: iso(at) }],
        },
        { scope: "sdk" },
      );
    expect((await track(T0, 10)).body).toEqual({ events: 1, attributed: 1, exposures: 1 });
    const { version } = (await t.request("GET", "/api/v1/flags/m-events", undefined, { scope: "read" })).body;
    expect(
      (await t.request("PUT", "/api/v1/flags/m-events", { ...testFlag("m-events", { fallthrough: split(25) }), version })).status,
    ).toBe(200);
    await track(T0 + MIN, 7);
    const [metric] = await t.server.context.metrics.business("m-events", "on", iso(T0), iso(T0 + 2 * MIN));
    expect(metric?.minutes).toEqual([
      {
        start: iso(T0),
        base: { exposed: 1, converted: 1, events: 1, sum: 10, sumSq: 100 },
        dark: { exposed: 0, converted: 0, events: 0, sum: 0, sumSq: 0 },
      },
      {
        start: iso(T0 + MIN),
        base: { exposed: 0, converted: 0, events: 0, sum: 0, sumSq: 0 },
        dark: { exposed: 1, converted: 1, events: 1, sum: 7, sumSq: 49 },
      },
    ]);
    // Nothing of the context is stored but the hash of its subject.
    const rows = await t.server.database.db.selectFrom("metric_windows").select("data").where("flag_key", "=", "m-events").execute();
    expect(JSON.stringify(rows)).not.toMatch(/a@b\.c|user-/);
    expect(DistinctSketch.from(JSON.parse(rows[0]!.data).subjects).count()).toBe(1);

    const bad = await t.request("POST", "/api/v1/events", { events: [{ event: "", context: "u1", value: "x" }] }, { scope: "sdk" });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(["events[0].event", "events[0].context", "events[0].value"]),
    );
    const future = await t.request(
      "POST",
      "/api/v1/events",
      { events: [{ event: "purchase", context: { id: "u" }, at: iso(Date.now() + 3_600_000) }] },
      { scope: "sdk" },
    );
    expect(future.status).toBe(400);
    expect(future.body.details[0].path).toBe("events[0].at");
    const tooMany = await t.request(
      "POST",
      "/api/v1/events",
      { events: Array.from({ length: 1001 }, () => ({ event: "e", context: {} })) },
      { scope: "sdk" },
    );
    expect(tooMany.status).toBe(400);
  });
});
