import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retainedStores } from "../composition-root.js";
import { type Database, openDatabase } from "../store/database.js";
import { kyselyStores } from "../store/kysely-stores.js";
import { migrate } from "../store/migrations.js";
import { pruneAll, startRetention } from "../store/retention.js";
import { STORE_FACTORIES, startTestServer, type TestStore } from "../test-support.js";
import { EvaluationService } from "./evaluation-service.js";
import type { EvaluationWrite } from "./evaluation-store.js";

const DAY = 86_400_000;

function row(flag: string, at: number, overrides: Partial<EvaluationWrite> = {}): EvaluationWrite {
  return {
    at: new Date(at).toISOString(),
    flag,
    flagVersion: 1,
    subject: "u1",
    variant: "on",
    verdict: "include",
    reason: "ROLLOUT_INCLUDED",
    position: 1.5,
    source: "sdk",
    ...overrides,
  };
}

function times<T>(n: number, make: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => make(i));
}

describe.each(STORE_FACTORIES)("evaluations store on $name", (factory) => {
  let store: TestStore | undefined;
  let database: Database | undefined;
  const db = () => database!.db;
  const stores = () => kyselyStores(db(), database!.dialect);
  const retained = () => retainedStores(stores());

  beforeAll(async () => {
    store = await factory.create();
    if (!store) return;
    database = openDatabase(store.options);
    await migrate(database.db, database.dialect);
  });
  afterAll(async () => {
    await database?.close();
    await store?.drop();
  });

  async function count(flag: string): Promise<number> {
    const result = await db()
      .selectFrom("evaluations")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("flag", "=", flag)
      .executeTakeFirstOrThrow();
    return Number(result.n);
  }

  it("inserts in batches, more than one INSERT's worth in one call", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const now = Date.now();
    await stores().evaluations.record(times(1234, (i) => row("batch", now, { subject: `u${i}`, position: i % 100 })));
    expect(await count("batch")).toBe(1234);
    await stores().evaluations.record([]);
    const newest = await stores().evaluations.list({ flag: "batch", limit: 1 });
    expect(newest[0]).toMatchObject({ flag: "batch", subject: "u1233", position: 33, flagVersion: 1, source: "sdk", verdict: "include" });
  });

  it("counts exactly, grouped by verdict, reason, variant and flag, within [since, until)", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const base = Date.parse("2001-02-03T04:00:00.000Z");
    let s = 0;
    const at = () => base + 1000 * s++;
    await stores().evaluations.record([
      ...times(3, () => row("stats-a", at())),
      ...times(5, () => row("stats-a", at(), { verdict: "exclude", reason: "ROLLOUT_EXCLUDED", variant: "off" })),
      row("stats-a", at(), { reason: "OVERRIDE", position: null }),
      row("stats-a", at(), { verdict: "exclude", reason: "ERROR", variant: null, position: null }),
      ...times(2, () => row("stats-b", at(), { reason: "RULE_MATCH" })),
      ...times(2, () => row("stats-b", at(), { verdict: "exclude", reason: "DISABLED", variant: "off" })),
      // Just outside the window on both sides.
      row("stats-a", base - 1),
      row("stats-b", base + 3_600_000),
    ]);
    const since = new Date(base).toISOString();
    const until = new Date(base + 3_600_000).toISOString();
    const stats = await new EvaluationService(stores()).stats({ since, until });
    expect(stats).toEqual({
      since,
      until,
      total: 14,
      byVerdict: { include: 6, exclude: 8 },
      byReason: { ROLLOUT_INCLUDED: 3, ROLLOUT_EXCLUDED: 5, OVERRIDE: 1, ERROR: 1, RULE_MATCH: 2, DISABLED: 2 },
      byVariant: { on: 6, off: 7, "(none)": 1 },
      flags: [
        { flag: "stats-a", total: 10, include: 4, exclude: 6, includeRate: 0.4 },
        { flag: "stats-b", total: 4, include: 2, exclude: 2, includeRate: 0.5 },
      ],
    });
    const onlyB = await new EvaluationService(stores()).stats({ since, until, flag: "stats-b" });
    expect(onlyB).toMatchObject({ total: 4, byVerdict: { include: 2, exclude: 2 }, byReason: { RULE_MATCH: 2, DISABLED: 2 } });
    expect(onlyB.flags).toHaveLength(1);
    const empty = await new EvaluationService(stores()).stats({ since: "1990-01-01T00:00:00.000Z", until: "1990-01-02T00:00:00.000Z" });
    expect(empty).toMatchObject({ total: 0, byVerdict: { include: 0, exclude: 0 }, byReason: {}, byVariant: {}, flags: [] });
  });

  it("prunes exactly the rows older than the retention, in bounded batches", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const now = Date.now();
    await db().deleteFrom("evaluations").execute();
    await stores().evaluations.record([
      ...times(7, (i) => row("prune", now - 31 * DAY - i * 1000, { subject: `old${i}` })),
      row("prune", now - 30 * DAY - 60_000, { subject: "just-old" }),
      row("prune", now - 30 * DAY + 60_000, { subject: "just-kept" }),
      ...times(3, (i) => row("prune", now - i * DAY, { subject: `new${i}` })),
    ]);
    const deleted = await pruneAll(retained(), 30, { now, batchSize: 3 });
    expect(deleted).toBe(8);
    const left = await stores().evaluations.list({ flag: "prune", limit: 100 });
    expect(left.map((e) => e.subject).sort()).toEqual(["just-kept", "new0", "new1", "new2"]);
    expect(await pruneAll(retained(), 30, { now })).toBe(0);
  });

  it("stops between batches when asked", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const now = Date.now();
    await stores().evaluations.record(times(10, (i) => row("prune-stop", now - 40 * DAY, { subject: `s${i}` })));
    expect(await pruneAll(retained(), 30, { now, batchSize: 4, stopped: () => true })).toBe(4);
    expect(await count("prune-stop")).toBe(6);
    expect(await pruneAll(retained(), 30, { now, batchSize: 4 })).toBe(6);
  });

  it("the retention job prunes at start and then on every interval, until stopped", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const old = () => stores().evaluations.record(times(5, (i) => row("job", Date.now() - 31 * DAY, { subject: `j${i}` })));
    await old();
    const runs: number[] = [];
    let wake: () => void = () => {};
    const job = startRetention(retained(), 30, {
      intervalMs: 50,
      batchSize: 2,
      onPruned: (n) => {
        runs.push(n);
        wake();
      },
    });
    const nextRun = () => new Promise<void>((resolve) => (wake = resolve));
    try {
      while (runs.length === 0) await nextRun();
      expect(runs[0]).toBe(5);
      expect(await count("job")).toBe(0);
      await old();
      while ((await count("job")) > 0) await nextRun();
      expect(runs.reduce((a, b) => a + b, 0)).toBe(10);
    } finally {
      await job.stop();
    }
    const after = runs.length;
    await old();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(runs.length).toBe(after);
    expect(await count("job")).toBe(5);
    await db().deleteFrom("evaluations").where("flag", "=", "job").execute();
    expect(() => startRetention(retained(), 0)).toThrow(/positive/);
  });

  it("the server prunes at start with its evaluationRetentionDays", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    const now = Date.now();
    await stores().evaluations.record([
      row("server-start", now - 8 * DAY, { subject: "old" }),
      row("server-start", now - 6 * DAY, { subject: "kept" }),
    ]);
    const t = await startTestServer(store, { evaluationRetentionDays: 7 });
    try {
      for (let i = 0; i < 100 && (await count("server-start")) > 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const left = await stores().evaluations.list({ flag: "server-start", limit: 10 });
      expect(left.map((e) => e.subject)).toEqual(["kept"]);
    } finally {
      await t.close();
    }
  });
});
