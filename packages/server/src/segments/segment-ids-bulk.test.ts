import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";
import { MAX_IDS_PER_CALL } from "./segment-service.js";

const ids = Array.from({ length: MAX_IDS_PER_CALL }, (_, i) => `user-${String(i).padStart(6, "0")}`);

describe.each(STORE_FACTORIES)("100 000 segment ids on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it("adds them in one call, counts and pages them, evaluates with them and removes them in one call", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/segments", { key: "everyone", ids: ["user-000000", "user-000001"] });
    const added = await t.request("POST", "/api/v1/segments/everyone/ids", { add: ids });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ added: MAX_IDS_PER_CALL - 2, removed: 0, idCount: MAX_IDS_PER_CALL, version: 2 });
    expect((await t.request("GET", "/api/v1/segments/everyone")).body.idCount).toBe(MAX_IDS_PER_CALL);

    let total = 0;
    let pages = 0;
    let last = "";
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await t.request("GET", `/api/v1/segments/everyone/ids?limit=10000${query}`);
      const pageIds: string[] = page.body.ids;
      expect(pageIds[0] === undefined || pageIds[0] > last).toBe(true);
      total += pageIds.length;
      last = pageIds.at(-1) ?? last;
      pages++;
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(total).toBe(MAX_IDS_PER_CALL);
    // Ten full pages, then an empty one that says there is no more.
    expect(pages).toBe(11);
    expect(last).toBe("user-099999");

    await t.request(
      "POST",
      "/api/v1/flags",
      testFlag("for-everyone", {
        fallthrough: { variant: "off" },
        rules: [{ id: "all", conditions: [{ op: "inSegment", values: ["everyone"] }], serve: { variant: "on" } }],
      }),
    );
    const check = await t.request("POST", "/api/v1/flags/for-everyone/check", { ids: ["user-054321", "stranger"] });
    expect(check.body.results.map((r: { reason: string }) => r.reason)).toEqual(["RULE_MATCH", "FALLTHROUGH"]);

    const removed = await t.request("POST", "/api/v1/segments/everyone/ids", { remove: ids, version: 2 });
    expect(removed.body).toEqual({ added: 0, removed: MAX_IDS_PER_CALL, idCount: 0, version: 3 });

    const audit = await t.server.database.db
      .selectFrom("audit")
      .select(["action", "after"])
      .where("target_key", "=", "everyone")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["segment.create", "segment.ids", "segment.ids"]);
    // The audit holds counts, not the ids.
    for (const row of audit) expect(row.after?.length ?? 0).toBeLessThan(500);
  }, 20_000);
});
