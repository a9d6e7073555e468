import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

describe.each(STORE_FACTORIES)("segments API on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  const db = () => (t as TestServer).server.database.db;

  async function auditRows(key: string): Promise<{ action: string; before: string | null; after: string | null }[]> {
    return db()
      .selectFrom("audit")
      .select(["action", "before", "after"])
      .where("target_type", "=", "segment")
      .where("target_key", "=", key)
      .orderBy("id")
      .execute();
  }

  /** Everything a segment write could touch, to show that a rejected one touched nothing. */
  async function storedState() {
    const count = async (table: "segment_ids" | "audit") =>
      Number(
        (
          await db()
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const revision = await db().selectFrom("meta").select("value").where("name", "=", "revision").executeTakeFirstOrThrow();
    return {
      segments: await db().selectFrom("segments").selectAll().orderBy("key").execute(),
      ids: await count("segment_ids"),
      audit: await count("audit"),
      revision: Number(revision.value),
    };
  }

  it("creates, gets and lists a segment with its id count, not its ids", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const created = await t.request("POST", "/api/v1/segments", {
      key: "beta-testers",
      description: "Self-selected beta",
      conditions: [{ attribute: "plan", op: "in", values: ["pro"] }],
      ids: ["u1", "u2", "u2", "u3"],
      version: 9,
    });
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.body).toEqual({
      key: "beta-testers",
      description: "Self-selected beta",
      conditions: [{ attribute: "plan", op: "in", values: ["pro"] }],
      version: 1,
      idCount: 3,
      createdAt: expect.any(String),
      updatedAt: created.body.createdAt,
    });
    const got = await t.request("GET", "/api/v1/segments/beta-testers", undefined, { scope: "read" });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    const listed = await t.request("GET", "/api/v1/segments", undefined, { scope: "read" });
    expect(listed.body.segments).toContainEqual(created.body);
    const minimal = await t.request("POST", "/api/v1/segments", { key: "empty" });
    expect(minimal.body).toMatchObject({ key: "empty", description: "", conditions: [], idCount: 0, version: 1 });
    const audit = await auditRows("beta-testers");
    expect(audit.map((a) => a.action)).toEqual(["segment.create"]);
    expect(JSON.parse(audit[0]?.after ?? "null")).toEqual(created.body);
  });

  it("names every bad field in a 400 and changes nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/segments", { key: "stable", ids: ["a"] });
    const before = await storedState();

    const bad = await t.request("POST", "/api/v1/segments", {
      key: "bad key",
      conditions: [{ op: "inSegment", values: ["other"] }],
      ids: ["ok", ""],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("VALIDATION_FAILED");
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(["key", "conditions[0].op", "ids[1]"]));
    expect(bad.body.details).toContainEqual({ path: "conditions[0].op", message: "a segment cannot test other segments" });

    const tooMany = await t.request("POST", "/api/v1/segments", { key: "huge", ids: Array.from({ length: 100_001 }, (_, i) => `x${i}`) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details.map((d: { path: string }) => d.path)).toEqual(["ids"]);

    const putIds = await t.request("PUT", "/api/v1/segments/stable", {
      ids: ["b"],
      conditions: [{ attribute: "x", op: "nope", values: [] }],
    });
    expect(putIds.status).toBe(400);
    expect(putIds.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(["ids", "conditions[0].op"]));
    const renamed = await t.request("PUT", "/api/v1/segments/stable", { key: "other" });
    expect(renamed.body.details).toContainEqual({
      path: "key",
      message: 'is "other" but the URL names "stable"; a segment\'s key cannot change',
    });
    const badVersion = await t.request("PUT", "/api/v1/segments/stable", { version: "1" });
    expect(badVersion.body.details.map((d: { path: string }) => d.path)).toEqual(["version"]);

    const both = await t.request("POST", "/api/v1/segments/stable/ids", { add: ["a", "b"], remove: ["c", "b"] });
    expect(both.status).toBe(400);
    expect(both.body.details).toEqual([{ path: "remove[1]", message: '"b" is also in add' }]);
    const nothing = await t.request("POST", "/api/v1/segments/stable/ids", {});
    expect(nothing.body.details).toEqual([{ path: "add", message: "send ids to add or remove" }]);
    const emptyId = await t.request("POST", "/api/v1/segments/stable/ids", { add: ["fine", ""], extra: 1 });
    expect(emptyId.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(["add[1]"]));
    const overLimit = await t.request("POST", "/api/v1/segments/stable/ids", {
      add: Array.from({ length: 60_000 }, (_, i) => `a${i}`),
      remove: Array.from({ length: 40_001 }, (_, i) => `r${i}`),
    });
    expect(overLimit.status).toBe(400);
    expect(overLimit.body.details).toEqual([{ path: "add", message: "add and remove hold 100001 ids together; at most 100000 per call" }]);

    // Postgres text cannot hold NUL: refused with a 400 on both stores rather than a 500 on one.
    const nul = await t.request("POST", "/api/v1/segments", { key: "nul", description: "a\u0000", ids: ["ok", "x\u0000y"] });
    expect(nul.body.details).toEqual([
      { path: "description", message: "must not contain NUL (\\u0000) characters" },
      { path: "ids[1]", message: "must not contain NUL (\\u0000) characters" },
    ]);
    const nulPut = await t.request("PUT", "/api/v1/segments/stable", { description: "\u0000" });
    expect(nulPut.body.details.map((d: { path: string }) => d.path)).toEqual(["description"]);
    const nulIds = await t.request("POST", "/api/v1/segments/stable/ids", { remove: ["\u0000"] });
    expect(nulIds.body.details.map((d: { path: string }) => d.path)).toEqual(["remove[0]"]);

    for (const query of ["limit=0", "limit=10001", "limit=ten", "cursor=a&cursor=b", "cursor=%00"]) {
      const page = await t.request("GET", `/api/v1/segments/stable/ids?${query}`);
      expect(page.status, query).toBe(400);
      expect(page.body.details[0].path, query).toMatch(/^(limit|cursor)$/);
    }
    const badIfMatch = await t.request("PUT", "/api/v1/segments/stable", {}, { headers: { "if-match": "seven" } });
    expect(badIfMatch.body.details[0].path).toBe("If-Match");
    const readOnly = await t.request("POST", "/api/v1/segments", { key: "by-reader" }, { scope: "read" });
    expect(readOnly.status).toBe(403);

    expect(await storedState()).toEqual(before);
  });

  it("answers 404 to unknown segments and 409 to a second create", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    for (const [method, url, body] of [
      ["GET", "/api/v1/segments/ghost", undefined],
      ["GET", "/api/v1/segments/ghost/ids", undefined],
      ["PUT", "/api/v1/segments/ghost", { description: "x" }],
      ["POST", "/api/v1/segments/ghost/ids", { add: ["u1"] }],
      ["DELETE", "/api/v1/segments/ghost", undefined],
    ] as const) {
      const response = await t.request(method, url, body);
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(response.body).toEqual({ code: "NOT_FOUND", message: 'segment "ghost" does not exist' });
    }
    await t.request("POST", "/api/v1/segments", { key: "twice" });
    const before = await storedState();
    const again = await t.request("POST", "/api/v1/segments", { key: "twice", ids: ["u1"] });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ALREADY_EXISTS");
    expect(await storedState()).toEqual(before);
  });

  it("replaces description and conditions, keeps the ids, and refuses a stale version with 409", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/segments", { key: "staff", description: "old", ids: ["s1", "s2"] });
    const conditions = [{ attribute: "email", op: "endsWith", values: ["@example.com"] }];
    const replaced = await t.request("PUT", "/api/v1/segments/staff", { description: "new", conditions, version: 1 });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.etag).toBe('"2"');
    expect(replaced.body).toMatchObject({ key: "staff", description: "new", conditions, version: 2, idCount: 2 });

    const before = await storedState();
    const stale = await t.request("PUT", "/api/v1/segments/staff", { description: "lost", version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "VERSION_CONFLICT", details: { sent: 1, current: 2 } });
    const staleHeader = await t.request("PUT", "/api/v1/segments/staff", { description: "lost" }, { headers: { "if-match": '"1"' } });
    expect(staleHeader.status).toBe(409);
    const staleIds = await t.request("POST", "/api/v1/segments/staff/ids", { add: ["s3"], version: 1 });
    expect(staleIds.status).toBe(409);
    const staleDelete = await t.request("DELETE", "/api/v1/segments/staff?version=1");
    expect(staleDelete.status).toBe(409);
    expect(await storedState()).toEqual(before);

    const cleared = await t.request("PUT", "/api/v1/segments/staff", {}, { headers: { "if-match": '"2"' } });
    expect(cleared.body).toMatchObject({ description: "", conditions: [], version: 3, idCount: 2 });
    const audit = await auditRows("staff");
    expect(audit.map((a) => a.action)).toEqual(["segment.create", "segment.replace", "segment.replace"]);
    expect(JSON.parse(audit[1]?.before ?? "null")).toMatchObject({ description: "old", version: 1 });
    expect(JSON.parse(audit[1]?.after ?? "null")).toMatchObject({ description: "new", version: 2 });
  });

  it("adds and removes ids, skipping duplicates and absent ones, and pages through them", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/segments", { key: "paged", ids: ["id-0000", "id-0001"] });
    const ids = Array.from({ length: 2_500 }, (_, i) => `id-${String(i).padStart(4, "0")}`);
    const added = await t.request("POST", "/api/v1/segments/paged/ids", { add: [...ids, "id-0005"], version: 1 });
    expect(added.status).toBe(200);
    expect(added.headers.etag).toBe('"2"');
    expect(added.body).toEqual({ added: 2_498, removed: 0, idCount: 2_500, version: 2 });
    const removed = await t.request("POST", "/api/v1/segments/paged/ids", { remove: ["id-0000", "id-0000", "absent"] });
    expect(removed.body).toEqual({ added: 0, removed: 1, idCount: 2_499, version: 3 });
    const both = await t.request("POST", "/api/v1/segments/paged/ids", { add: ["id-0000"], remove: ["id-2499"] });
    expect(both.body).toEqual({ added: 1, removed: 1, idCount: 2_499, version: 4 });

    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { ids: string[]; nextCursor: string | null } } = await t.request(
        "GET",
        `/api/v1/segments/paged/ids?limit=1000${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
        undefined,
        { scope: "read" },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.ids);
      pages.push(page.body.ids.length);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(pages).toEqual([1_000, 1_000, 499]);
    expect(seen).toEqual(ids.slice(0, 2_499));
    const defaultPage = await t.request("GET", "/api/v1/segments/paged/ids");
    expect(defaultPage.body.ids).toHaveLength(1_000);
    expect(defaultPage.body.nextCursor).toBe("id-0999");

    const audit = await auditRows("paged");
    expect(audit.map((a) => a.action)).toEqual(["segment.create", "segment.ids", "segment.ids", "segment.ids"]);
    expect(JSON.parse(audit[1]?.before ?? "null")).toEqual({ version: 1, idCount: 2 });
    expect(JSON.parse(audit[1]?.after ?? "null")).toEqual({
      version: 2,
      idCount: 2_500,
      added: 2_498,
      removed: 0,
      requestedAdd: 2_501,
      requestedRemove: 0,
    });
  });

  it("refuses to delete a segment a flag uses (archived or not), then deletes it with its ids", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/segments", { key: "vips", ids: ["v1", "v2"] });
    const rules = [{ id: "vip", conditions: [{ op: "inSegment", values: ["vips"] }], serve: { variant: "on" } }];
    expect((await t.request("POST", "/api/v1/flags", testFlag("vip-flag", { rules }))).status).toBe(201);
    expect((await t.request("POST", "/api/v1/flags", testFlag("vip-flag-2", { rules }))).status).toBe(201);
    await t.request("POST", "/api/v1/flags/vip-flag-2/archive");

    const before = await storedState();
    const inUse = await t.request("DELETE", "/api/v1/segments/vips");
    expect(inUse.status).toBe(409);
    expect(inUse.body).toEqual({
      code: "IN_USE",
      message: 'cannot delete segment "vips": flags "vip-flag", "vip-flag-2" use it in their rules',
      details: { flags: ["vip-flag", "vip-flag-2"] },
    });
    expect(await storedState()).toEqual(before);

    await t.request("DELETE", "/api/v1/flags/vip-flag");
    await t.request("DELETE", "/api/v1/flags/vip-flag-2");
    const deleted = await t.request("DELETE", "/api/v1/segments/vips", undefined, { headers: { "if-match": '"1"' } });
    expect(deleted.status).toBe(204);
    expect((await t.request("GET", "/api/v1/segments/vips")).status).toBe(404);
    const left = await db().selectFrom("segment_ids").select("subject").where("segment_key", "=", "vips").execute();
    expect(left).toEqual([]);
    const audit = await auditRows("vips");
    expect(audit.map((a) => a.action)).toEqual(["segment.create", "segment.delete"]);
    expect(JSON.parse(audit[1]?.before ?? "null")).toMatchObject({ key: "vips", idCount: 2 });
  });

  it("serves a segment's ids to evaluation: the check endpoint follows every change", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/segments", { key: "testers", ids: ["t1"] });
    await t.request(
      "POST",
      "/api/v1/flags",
      testFlag("tested", {
        fallthrough: { variant: "off" },
        rules: [{ id: "testers", conditions: [{ op: "inSegment", values: ["testers"] }], serve: { variant: "on" } }],
      }),
    );
    const check = async (context?: Record<string, string>) => {
      const response = await t!.request("POST", "/api/v1/flags/tested/check", { ids: ["t1", "t2"], context }, { scope: "read" });
      expect(response.status).toBe(200);
      return response.body.results.map((r: { subject: string; reason: string; variant: string }) => [r.subject, r.reason, r.variant]);
    };
    expect(await check()).toEqual([
      ["t1", "RULE_MATCH", "on"],
      ["t2", "FALLTHROUGH", "off"],
    ]);
    await t.request("POST", "/api/v1/segments/testers/ids", { add: ["t2"], remove: ["t1"] });
    expect(await check()).toEqual([
      ["t1", "FALLTHROUGH", "off"],
      ["t2", "RULE_MATCH", "on"],
    ]);
    // A subject is in a segment when its id is listed or its context meets the segment's conditions.
    await t.request("PUT", "/api/v1/segments/testers", { conditions: [{ attribute: "plan", op: "in", values: ["pro"] }] });
    expect(await check({ plan: "pro" })).toEqual([
      ["t1", "RULE_MATCH", "on"],
      ["t2", "RULE_MATCH", "on"],
    ]);
    expect(await check({ plan: "free" })).toEqual([
      ["t1", "FALLTHROUGH", "off"],
      ["t2", "RULE_MATCH", "on"],
    ]);
  });
});
