import { parseRampPlan, startRamp } from "@darklaunch/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../store/database.js";
import { migrate } from "../store/migrations.js";
import { pruneAll } from "../store/retention.js";
import { STORE_FACTORIES, type TestStore } from "../test-support.js";
import { KyselyRampStore } from "./kysely-ramp-store.js";
import type { StoredRamp } from "./ramp-store.js";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function ramp(id: string, flag: string): StoredRamp {
  const plan = parseRampPlan({});
  return {
    id,
    flag,
    plan,
    state: startRamp(plan, { now: T0, by: "alice" }).newState,
    darkBuild: "build-7",
    judge: {},
    minuteMs: 60_000,
    version: 1,
    createdBy: "alice",
    startedAt: iso(T0),
    updatedAt: iso(T0),
  };
}

describe.each(STORE_FACTORIES)("ramp store on $name", (factory) => {
  let store: TestStore | undefined;
  let database: Database | undefined;
  let ramps: KyselyRampStore;

  beforeAll(async () => {
    store = await factory.create();
    if (!store) return;
    database = openDatabase(store.options);
    await migrate(database.db, database.dialect);
    ramps = new KyselyRampStore(database);
  });
  afterAll(async () => {
    await database?.close();
    await store?.drop();
  });

  it("keeps one active ramp per flag, and reads plan and state back as written", async (ctx) => {
    if (!store) return ctx.skip();
    expect(await ramps.create(ramp("r1", "checkout"))).toBe(true);
    expect(await ramps.create(ramp("r2", "checkout"))).toBe(false);
    const stored = await ramps.get("r1");
    expect(stored).toEqual(ramp("r1", "checkout"));
    // Once the first one ends, the flag may get another.
    const ended = { ...ramp("r1", "checkout").state, status: "aborted" as const };
    expect(await ramps.update("r1", 1, ended, iso(T0 + 1))).toBe(true);
    expect(await ramps.create(ramp("r2", "checkout"))).toBe(true);
    expect((await ramps.forFlag("checkout"))?.id).toBe("r2");
    expect((await ramps.list(["running"])).map((r) => r.id)).toEqual(["r2"]);
  });

  it("writes a state only over the version it read (compare-and-set)", async (ctx) => {
    if (!store) return ctx.skip();
    await ramps.create(ramp("cas", "cas-flag"));
    const state = ramp("cas", "cas-flag").state;
    const results = await Promise.all([ramps.update("cas", 1, state, iso(T0)), ramps.update("cas", 1, state, iso(T0))]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await ramps.get("cas"))?.version).toBe(2);
    expect(await ramps.update("cas", 1, state, iso(T0))).toBe(false);
  });

  it("gives a lease to exactly one of many claimants, renews it for its owner, and hands it over once it expired", async (ctx) => {
    if (!store) return ctx.skip();
    await ramps.create(ramp("leased", "lease-flag"));
    const now = iso(T0);
    const until = iso(T0 + 5_000);
    const owners = Array.from({ length: 8 }, (_, i) => `replica-${i}`);
    const claims = await Promise.all(owners.map((owner) => ramps.claimLease("leased", owner, now, until)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const holder = owners[claims.indexOf(true)] as string;
    const other = owners.find((o) => o !== holder) as string;
    expect(await ramps.claimLease("leased", holder, iso(T0 + 1_000), iso(T0 + 6_000))).toBe(true);
    expect(await ramps.claimLease("leased", other, iso(T0 + 5_500), iso(T0 + 10_000))).toBe(false);
    expect(await ramps.claimLease("leased", other, iso(T0 + 6_000), iso(T0 + 11_000))).toBe(true);
    expect(await ramps.lease("leased")).toEqual({ owner: other, expiresAt: iso(T0 + 11_000) });
    await ramps.releaseLeases(other);
    expect(await ramps.claimLease("leased", holder, iso(T0 + 6_001), iso(T0 + 12_000))).toBe(true);
  });

  it("keeps the verdict history, newest first", async (ctx) => {
    if (!store) return ctx.skip();
    await ramps.create(ramp("judged", "judged-flag"));
    for (const [i, state] of ["RUNNING", "SAFE"].entries()) {
      await ramps.recordVerdict({
        rampId: "judged",
        flag: "judged-flag",
        at: iso(T0 + i),
        state,
        action: state === "SAFE" ? "advance" : "none",
        replica: "replica-0",
        why: `why ${i}`,
        verdict: { state, metrics: [] },
      });
    }
    const verdicts = await ramps.verdicts("judged", 10);
    expect(verdicts.map((v) => v.state)).toEqual(["SAFE", "RUNNING"]);
    expect(verdicts[0]).toMatchObject({ action: "advance", replica: "replica-0", why: "why 1", verdict: { state: "SAFE" } });
  });

  it("prunes verdicts older than the retention in batches, except those of a running or paused ramp", async (ctx) => {
    if (!store) return ctx.skip();
    const DAY = 86_400_000;
    const verdict = (rampId: string, at: number, why: string) =>
      ramps.recordVerdict({
        rampId,
        flag: `${rampId}-flag`,
        at: iso(at),
        state: "RUNNING",
        action: "none",
        replica: "r",
        why,
        verdict: {},
      });
    const ended = { ...ramp("old-ended", "old-ended-flag").state, status: "completed" as const };
    await ramps.create(ramp("old-ended", "old-ended-flag"));
    expect(await ramps.update("old-ended", 1, ended, iso(T0))).toBe(true);
    await ramps.create(ramp("old-active", "old-active-flag"));
    const paused = { ...ramp("old-paused", "old-paused-flag").state, status: "paused" as const };
    await ramps.create(ramp("old-paused", "old-paused-flag"));
    expect(await ramps.update("old-paused", 1, paused, iso(T0))).toBe(true);
    for (let i = 0; i < 7; i++) await verdict("old-ended", T0 - 40 * DAY - i * 1000, `old ${i}`);
    await verdict("old-ended", T0 - 30 * DAY - 60_000, "just old");
    await verdict("old-ended", T0 - 30 * DAY + 60_000, "just kept");
    for (const id of ["old-active", "old-paused"]) {
      for (let i = 0; i < 3; i++) await verdict(id, T0 - 60 * DAY - i * 1000, `long ramp ${i}`);
    }

    expect(await pruneAll([ramps], 30, { now: T0, batchSize: 3 })).toBe(8);
    expect((await ramps.verdicts("old-ended", 100)).map((v) => v.why)).toEqual(["just kept"]);
    expect(await ramps.verdicts("old-active", 100)).toHaveLength(3);
    expect(await ramps.verdicts("old-paused", 100)).toHaveLength(3);
    expect(await pruneAll([ramps], 30, { now: T0 })).toBe(0);

    // Once the long ramp ends, its old history expires too; a stop request ends the prune after a batch.
    const done = { ...ramp("old-active", "old-active-flag").state, status: "completed" as const };
    expect(await ramps.update("old-active", 1, done, iso(T0))).toBe(true);
    expect(await ramps.prune(iso(T0 - 30 * DAY), { batchSize: 2, stopped: () => true })).toBe(2);
    expect(await pruneAll([ramps], 30, { now: T0, batchSize: 2 })).toBe(1);
    expect(await ramps.verdicts("old-active", 100)).toEqual([]);
  });
});
