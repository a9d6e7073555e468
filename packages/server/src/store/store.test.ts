import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyRevisionStore } from "../ruleset/kysely-revision-store.js";
import { STORE_FACTORIES, startTestServer, type TestStore, testFlag } from "../test-support.js";
import { openDatabase } from "./database.js";
import { migrate } from "./migrations.js";

describe.each(STORE_FACTORIES)("store on $name", (factory) => {
  let store: TestStore | undefined;
  beforeAll(async () => {
    store = await factory.create();
  });
  afterAll(async () => {
    await store?.drop();
  });

  it("runs the migrations once: a second and third start change nothing", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    const database = openDatabase(store.options);
    try {
      await migrate(database.db, database.dialect);
      await migrate(database.db, database.dialect);
      expect(await new KyselyRevisionStore(database.db, database.dialect).current()).toBe(0);
      const ran = await database.db
        .selectFrom("darklaunch_migrations" as "meta")
        .selectAll()
        .execute();
      // One row per migration, each recorded once however often the store starts.
      const names = ran.map((r) => (r as unknown as { name: string }).name);
      expect(names.length).toBeGreaterThanOrEqual(1);
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await database.close();
    }
    const again = openDatabase(store.options);
    try {
      await migrate(again.db, again.dialect);
      expect(await new KyselyRevisionStore(again.db, again.dialect).current()).toBe(0);
    } finally {
      await again.close();
    }
  });

  it("a store that goes away mid-flight answers 503 with a clear message, and readiness says so", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    const t = await startTestServer(store);
    expect((await t.request("POST", "/api/v1/flags", testFlag("before-outage"))).status).toBe(201);
    await t.server.database.close();
    const down = await t.request("GET", "/api/v1/flags");
    expect(down.status).toBe(503);
    expect(down.body.code).toBe("STORE_UNAVAILABLE");
    expect(down.body.message).toMatch(/nothing was changed/);
    expect((await t.request("GET", "/readyz", undefined, { scope: "none" })).status).toBe(503);
    await t.server.app.close();
  });
});
