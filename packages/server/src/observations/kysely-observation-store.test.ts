import { LatencySketch, type ObservationWindow, summarizeSide } from "@darklaunch/core";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retainedStores } from "../composition-root.js";
import { type Database, openDatabase } from "../store/database.js";
import { kyselyStores } from "../store/kysely-stores.js";
import { migrate } from "../store/migrations.js";
import { pruneAll } from "../store/retention.js";
import { STORE_FACTORIES, type TestStore } from "../test-support.js";
import { KyselyObservationStore } from "./kysely-observation-store.js";
import { minutesAgo, range, sample, window } from "./test-windows.js";

const DAY = 86_400_000;
/** Two hours ago: well inside the retention, so only the pruning test's old windows are pruned. */
const T0 = minutesAgo(120);
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(STORE_FACTORIES)("observation store on $name", (factory) => {
  let store: TestStore | undefined;
  let database: Database | undefined;
  let observations: KyselyObservationStore;

  beforeAll(async () => {
    store = await factory.create();
    if (!store) return;
    database = openDatabase(store.options);
    await migrate(database.db, database.dialect);
    observations = new KyselyObservationStore(database.db, database.dialect);
  });
  afterAll(async () => {
    await database?.close();
    await store?.drop();
  });

  const all = (flag: string) => observations.list({ flag, since: iso(0), until: iso(Date.now() + DAY) });

  async function rowCount(): Promise<number> {
    const row = await database!.db
      .selectFrom("observation_windows")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it("on Postgres, keeps window data out of line and uncompressed (merges rewrite it often)", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    if (database.dialect !== "postgres") return ctx.skip("a Postgres setting");
    const { rows } = await sql<{ attstorage: string }>`
      SELECT attstorage FROM pg_attribute WHERE attrelid = 'observation_windows'::regclass AND attname = 'data'`.execute(database.db);
    expect(rows).toEqual([{ attstorage: "e" }]);
  });

  it("stores a window and reads it back as posted", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const w = window("s-one", T0, {
      baseline: [5, 10, 15],
      dark: [20, 40],
      darkErrors: 1,
      comparison: { total: 2, mismatched: 1, fields: { "body.price": 1 } },
      samples: [sample(T0 + 1_000, "body.price", 10, 12)],
    });
    await observations.merge([w]);
    expect(await all("s-one")).toEqual([w]);
  });

  it("merges two reports of one window to the exact totals, quantiles as a sketch over every value", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const first = range(300, 1, 0.5);
    const second = range(200, 80, 3);
    const a = window("s-merge", T0, {
      baseline: first,
      dark: range(7, 100),
      baselineErrors: 4,
      darkErrors: 2,
      comparison: { total: 7, mismatched: 3, noiseTotal: 5, fields: { "body.a": 3 }, noise: { "body.a": 1 } },
      samples: [sample(T0 + 1, "body.a", 1, 2), sample(T0 + 2, "body.a", 1, 3)],
    });
    const b = window("s-merge", T0, {
      baseline: second,
      dark: range(5, 200),
      baselineErrors: 6,
      darkErrors: 5,
      comparison: { total: 5, mismatched: 5, noiseTotal: 2, fields: { "body.a": 2, "body.b": 5 }, noise: {} },
      samples: [sample(T0 + 3, "body.b", "x", "y")],
    });
    await observations.merge([a]);
    await observations.merge([b]);
    const [stored, ...rest] = await all("s-merge");
    expect(rest).toEqual([]);
    expect(stored!.baseline.requests).toBe(500);
    expect(stored!.baseline.errors).toBe(10);
    expect(stored!.dark.requests).toBe(12);
    expect(stored!.dark.errors).toBe(7);
    expect(stored!.comparison).toEqual({
      total: 12,
      matched: 4,
      mismatched: 8,
      noiseTotal: 7,
      fields: { "body.a": 5, "body.b": 5 },
      noise: { "body.a": 1 },
    });
    expect(stored!.samples.map((s) => s.at)).toEqual([iso(T0 + 1), iso(T0 + 2), iso(T0 + 3)]);
    expect(stored!.baseline.reservoir).toHaveLength(256);
    const union = new LatencySketch();
    for (const ms of [...first, ...second]) union.record(ms);
    const summary = summarizeSide(stored!.baseline);
    expect([summary.p50, summary.p95, summary.p99]).toEqual([union.quantile(0.5), union.quantile(0.95), union.quantile(0.99)]);
    expect(summary.mean).toBeCloseTo(union.sum / 500, 9);
  });

  it("keeps shadow mode's paired counters through a merge: two reports of one minute add up exactly", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const a = window("s-paired", T0, {
      baselineErrors: 2,
      darkErrors: 4,
      paired: { bothErr: 1, darkOnlyErr: 3, baseOnlyErr: 1, slower: 4, faster: 1, tie: 5, lost: 2 },
    });
    const b = window("s-paired", T0, {
      baselineErrors: 1,
      darkErrors: 2,
      paired: { bothErr: 0, darkOnlyErr: 2, baseOnlyErr: 1, slower: 2, faster: 3, tie: 4, lost: 3 },
    });
    // A report without pairs (an old reporter's, or split mode's) merges in and leaves them as they are.
    const old = window("s-paired", T0, { baseline: range(3), dark: range(3) });
    await observations.merge([a]);
    await observations.merge([b]);
    await observations.merge([old]);
    const [stored, ...rest] = await all("s-paired");
    expect(rest).toEqual([]);
    expect(stored!.paired).toEqual({ bothErr: 1, darkOnlyErr: 5, baseOnlyErr: 2, slower: 6, faster: 4, tie: 9, lost: 5 });
    expect(stored!.baseline.requests).toBe(23);

    await observations.merge([window("s-unpaired", T0)]);
    const [unpaired] = await all("s-unpaired");
    expect(unpaired).not.toHaveProperty("paired");
  });

  it("merges windows of one key within a batch and keeps others apart", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    await observations.merge([
      window("s-batch", T0, { baseline: range(3) }),
      window("s-batch", T0, { baseline: range(4), route: "GET /other" }),
      window("s-batch", T0, { baseline: range(5) }),
      window("s-batch", T0, { baseline: range(6), source: "sdk" }),
      window("s-batch", T0 + 60_000, { baseline: range(7) }),
    ]);
    const stored = await all("s-batch");
    expect(stored.map((w) => [w.start, w.source, w.route, w.baseline.requests])).toEqual([
      [iso(T0), "proxy", "GET /items", 8],
      [iso(T0), "proxy", "GET /other", 4],
      [iso(T0), "sdk", "GET /items", 6],
      [iso(T0 + 60_000), "proxy", "GET /items", 7],
    ]);
    const filtered = await observations.list({
      flag: "s-batch",
      since: iso(T0),
      until: iso(T0 + 60_000),
      source: "proxy",
      route: "GET /items",
    });
    expect(filtered.map((w) => w.baseline.requests)).toEqual([8]);
  });

  it("counts every one of 20 concurrent reports of one window, and batches locking in any order finish", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => observations.merge([window("s-race", T0, { baseline: range(i + 1), dark: range(2) })])),
    );
    const [stored] = await all("s-race");
    expect(stored!.baseline.requests).toBe(210);
    expect(stored!.dark.requests).toBe(40);
    expect(stored!.baseline.latency.count).toBe(210);

    const a = window("s-order", T0, { route: "a" });
    const b = window("s-order", T0, { route: "b" });
    await Promise.all(Array.from({ length: 10 }, (_, i) => observations.merge(i % 2 === 0 ? [a, b] : [b, a])));
    expect((await all("s-order")).map((w) => [w.route, w.baseline.requests])).toEqual([
      ["a", 100],
      ["b", 100],
    ]);
  });

  it("counts exactly when many batches, each mixing new and existing windows, merge at once (a fleet's reporters)", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const routes = Array.from({ length: 12 }, (_, r) => `GET /r${r}`);
    // Reporter i reports the routes r with (r + i) % 3 !== 0, over two minutes: every batch meets rows others create.
    const batches = Array.from({ length: 16 }, (_, i) =>
      [0, 1].flatMap((m) =>
        routes
          .filter((_, r) => (r + i) % 3 !== 0)
          .map((route) => window("s-fleet", T0 + m * 60_000, { route, baseline: range(i + 1), dark: range(1) })),
      ),
    );
    for (let round = 0; round < 2; round++) await Promise.all(batches.map((batch) => observations.merge(batch)));
    const stored = await all("s-fleet");
    expect(stored).toHaveLength(routes.length * 2);
    for (const w of stored) {
      const r = routes.indexOf(w.route);
      const reporters = batches.map((_, i) => i).filter((i) => (r + i) % 3 !== 0);
      expect(w.baseline.requests).toBe(2 * reporters.reduce((sum, i) => sum + i + 1, 0));
      expect(w.dark.requests).toBe(2 * reporters.length);
      expect(w.baseline.latency.count).toBe(w.baseline.requests);
    }
  });

  it("stores a batch all or nothing", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    await observations.merge([window("s-atomic", T0, { route: "a" })]);
    const before = await rowCount();
    const broken = window("s-atomic", T0, { route: "b" });
    // A value JSON cannot hold: the batch fails after its first window was written.
    (broken.baseline as { requests: unknown }).requests = 1n;
    await expect(observations.merge([window("s-atomic", T0, { route: "a" }), window("s-atomic", T0 + 60_000), broken])).rejects.toThrow();
    expect(await rowCount()).toBe(before);
    expect((await all("s-atomic")).map((w) => w.baseline.requests)).toEqual([10]);
  });

  it("the retention job prunes windows of minutes before the cutoff", async (ctx) => {
    if (!database) return ctx.skip("no Postgres");
    const now = Date.now();
    const windows: ObservationWindow[] = [
      window("s-prune", minutesAgo(31 * 24 * 60, now)),
      window("s-prune", minutesAgo(30 * 24 * 60 + 1, now)),
      window("s-prune", minutesAgo(30 * 24 * 60 - 1, now)),
      window("s-prune", minutesAgo(5, now)),
    ];
    await observations.merge(windows);
    const before = await rowCount();
    expect(await pruneAll(retainedStores(kyselyStores(database.db, database.dialect)), 30, { now })).toBe(2);
    expect(await rowCount()).toBe(before - 2);
    expect((await all("s-prune")).map((w) => w.start)).toEqual([windows[2]!.start, windows[3]!.start]);
  });
});
