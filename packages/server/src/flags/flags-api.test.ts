import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";

describe.each(STORE_FACTORIES)("flags API on $name", (factory) => {
  let t: TestServer | undefined;
  const server = () => t as TestServer;

  beforeAll(async () => {
    const store = await factory.create();
    if (store) t = await startTestServer(store);
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  async function auditCount(key: string): Promise<number> {
    const row = await server()
      .server.database.db.selectFrom("audit")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("target_key", "=", key)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it("creates, reads and lists a flag with defaults filled in", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const created = await t.request("POST", "/api/v1/flags", testFlag("create-me", { tags: ["payments"] }));
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.body).toMatchObject({ key: "create-me", version: 1, kind: "release", bucketBy: "id", archived: false, percentage: 10 });
    const got = await t.request("GET", "/api/v1/flags/create-me", undefined, { scope: "read" });
    expect(got.body).toEqual(created.body);
    const listed = await t.request("GET", "/api/v1/flags?tag=payments", undefined, { scope: "read" });
    expect(listed.body.flags.map((f: { key: string }) => f.key)).toEqual(["create-me"]);
    expect(await auditCount("create-me")).toBe(1);
  });

  it("answers 409 to a second create and 404 to an unknown key", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags", testFlag("dupe"));
    const again = await t.request("POST", "/api/v1/flags", testFlag("dupe"));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ALREADY_EXISTS");
    for (const [method, url] of [
      ["GET", "/api/v1/flags/ghost"],
      ["PATCH", "/api/v1/flags/ghost"],
      ["DELETE", "/api/v1/flags/ghost"],
      ["POST", "/api/v1/flags/ghost/check"],
    ] as const) {
      const response = await t.request(method, url, method === "PATCH" ? { enabled: true } : method === "POST" ? { id: "u1" } : undefined);
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(response.body).toEqual({ code: "NOT_FOUND", message: 'flag "ghost" does not exist' });
    }
  });

  it("names every bad field in a 400 and stores nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const bad = await t.request("POST", "/api/v1/flags", {
      key: "bad flag",
      variants: { on: true, off: false },
      offVariant: "of",
      rules: [{ id: "r", conditions: [{ attribute: "plan", op: "gte ", values: [1] }], serve: { variant: "on" } }],
      fallthrough: {
        split: [
          { variant: "on", weight: 10 },
          { variant: "off", weight: 80 },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("VALIDATION_FAILED");
    const paths = bad.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["key", "offVariant", "rules[0].conditions[0].op", "fallthrough.split"]));
    expect(bad.body.details).toContainEqual({ path: "rules[0].conditions[0].op", message: 'unknown operator "gte "' });
    const listed = await t.request("GET", "/api/v1/flags?state=all");
    expect(listed.body.flags.some((f: { key: string }) => f.key === "bad flag")).toBe(false);
  });

  it("rejects references the ruleset cannot resolve: unknown prerequisite, cycle, unknown segment", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const unknown = await t.request(
      "POST",
      "/api/v1/flags",
      testFlag("needs-ghost", { prerequisites: [{ flag: "ghost", variant: "on" }] }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toContainEqual({ path: "prerequisites[0].flag", message: 'unknown flag "ghost"' });
    await t.request("POST", "/api/v1/flags", testFlag("cyc-a"));
    await t.request("POST", "/api/v1/flags", testFlag("cyc-b", { prerequisites: [{ flag: "cyc-a", variant: "on" }] }));
    const cycle = await t.request("PATCH", "/api/v1/flags/cyc-a", { addRule: { id: "x", conditions: [], serve: { variant: "on" } } });
    expect(cycle.status).toBe(200);
    const put = await t.request(
      "PUT",
      "/api/v1/flags/cyc-a",
      testFlag("cyc-a", { prerequisites: [{ flag: "cyc-b", variant: "on" }], version: 2 }),
    );
    expect(put.status).toBe(400);
    expect(put.body.details[0].message).toMatch(/prerequisite cycle/);
    const segment = await t.request(
      "POST",
      "/api/v1/flags",
      testFlag("seg-user", { rules: [{ id: "r", conditions: [{ op: "inSegment", values: ["nobody"] }], serve: { variant: "on" } }] }),
    );
    expect(segment.status).toBe(400);
    expect(segment.body.details).toContainEqual({ path: "rules[0].conditions[0].values[0]", message: 'unknown segment "nobody"' });
  });

  it("increments the version on every change and refuses a stale one with 409 (body or If-Match)", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags", testFlag("versions", { enabled: false }));
    const enabled = await t.request("PATCH", "/api/v1/flags/versions", { enabled: true, version: 1 });
    expect(enabled.body).toMatchObject({ version: 2, enabled: true });
    const stale = await t.request("PATCH", "/api/v1/flags/versions", { percentage: 50, version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "VERSION_CONFLICT", details: { sent: 1, current: 2 } });
    const staleHeader = await t.request("PATCH", "/api/v1/flags/versions", { percentage: 50 }, { headers: { "if-match": '"1"' } });
    expect(staleHeader.status).toBe(409);
    const disagree = await t.request("PATCH", "/api/v1/flags/versions", { percentage: 50, version: 2 }, { headers: { "if-match": '"3"' } });
    expect(disagree.status).toBe(400);
    const ramp = await t.request("PATCH", "/api/v1/flags/versions", { percentage: 50 }, { headers: { "if-match": '"2"' } });
    expect(ramp.body).toMatchObject({
      version: 3,
      percentage: 50,
      fallthrough: {
        split: [
          { variant: "on", weight: 50 },
          { variant: "off", weight: 50 },
        ],
      },
    });
    const replaced = await t.request("PUT", "/api/v1/flags/versions", testFlag("versions", { description: "new", version: 3 }));
    expect(replaced.body).toMatchObject({ version: 4, description: "new" });
    const renamed = await t.request("PUT", "/api/v1/flags/versions", testFlag("other-name", { version: 4 }));
    expect(renamed.status).toBe(400);
    expect(renamed.body.details).toContainEqual({
      path: "key",
      message: 'is "other-name" but the URL names "versions"; a flag\'s key cannot change',
    });
    expect(await auditCount("versions")).toBe(4);
  });

  it("adds and removes rules, archives, unarchives, filters by state and stale, deletes", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags", testFlag("life", { kind: "ops", expiresAt: "2020-01-01T00:00:00Z" }));
    const added = await t.request("PATCH", "/api/v1/flags/life", {
      addRule: { id: "nl", conditions: [{ attribute: "country", op: "in", values: ["NL"] }], serve: { variant: "on" } },
    });
    expect(added.body.rules.map((r: { id: string }) => r.id)).toEqual(["nl"]);
    const removed = await t.request("PATCH", "/api/v1/flags/life", { removeRule: "nl" });
    expect(removed.body.rules).toEqual([]);
    const stale = await t.request("GET", "/api/v1/flags?stale=true&kind=ops");
    expect(stale.body.flags.map((f: { key: string }) => f.key)).toEqual(["life"]);
    const archived = await t.request("POST", "/api/v1/flags/life/archive");
    expect(archived.body).toMatchObject({ archived: true, version: 4 });
    expect((await t.request("GET", "/api/v1/flags")).body.flags.some((f: { key: string }) => f.key === "life")).toBe(false);
    expect((await t.request("GET", "/api/v1/flags?state=archived")).body.flags.map((f: { key: string }) => f.key)).toContain("life");
    const archivedCheck = await t.request("POST", "/api/v1/flags/life/check", { id: "u1" });
    expect(archivedCheck.status).toBe(409);
    expect((await t.request("POST", "/api/v1/flags/life/archive")).status).toBe(409);
    expect((await t.request("POST", "/api/v1/flags/life/unarchive", { version: 4 })).body).toMatchObject({ archived: false, version: 5 });
    expect((await t.request("DELETE", "/api/v1/flags/life?version=4")).status).toBe(409);
    expect((await t.request("DELETE", "/api/v1/flags/life", undefined, { headers: { "if-match": '"5"' } })).status).toBe(204);
    expect((await t.request("GET", "/api/v1/flags/life")).status).toBe(404);
  });

  it("refuses to archive or delete a flag another flag requires", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags", testFlag("base"));
    await t.request("POST", "/api/v1/flags", testFlag("dependent", { prerequisites: [{ flag: "base", variant: "on" }] }));
    for (const [method, url] of [
      ["POST", "/api/v1/flags/base/archive"],
      ["DELETE", "/api/v1/flags/base"],
    ] as const) {
      const response = await t.request(method, url);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: "IN_USE", details: { dependents: ["dependent"] } });
    }
  });

  it("checks subjects: positions, verdicts, what-if, context attributes", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request(
      "POST",
      "/api/v1/flags",
      testFlag("checked", {
        rules: [{ id: "nl", conditions: [{ attribute: "country", op: "in", values: ["NL"] }], serve: { variant: "on" } }],
      }),
    );
    const checked = await t.request("POST", "/api/v1/flags/checked/check", { ids: ["u1", "u2", "u3"], percentage: 100 }, { scope: "read" });
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ flagKey: "checked", percentage: 10, whatIfPercentage: 100, bucketBy: "id", salt: "checked" });
    for (const result of checked.body.results) {
      expect(result.verdict).toBe(result.position < 10 ? "include" : "exclude");
      expect(result.whatIf).toEqual({ percentage: 100, included: true, decidedEarlier: false });
      expect(result.includedFrom).toBeCloseTo(result.position + 0.01, 5);
    }
    const withContext = await t.request("POST", "/api/v1/flags/checked/check", { id: "u1", context: { country: "NL" } });
    expect(withContext.body.results[0]).toMatchObject({ reason: "RULE_MATCH", ruleId: "nl", verdict: "include" });
    const tooMany = await t.request("POST", "/api/v1/flags/checked/check", { ids: Array.from({ length: 10_001 }, (_, i) => `u${i}`) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details[0].path).toBe("ids");
    const many = await t.request("POST", "/api/v1/flags/checked/check", { ids: Array.from({ length: 10_000 }, (_, i) => `u${i}`) });
    expect(many.body.results).toHaveLength(10_000);
    expect(many.body.included / 10_000).toBeGreaterThan(0.085);
    expect(many.body.included / 10_000).toBeLessThan(0.115);
  });

  it("answers 400 to malformed JSON, 413 over the body limit, 401 and 403 with JSON bodies", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const malformed = await t.request("POST", "/api/v1/flags", "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe("INVALID_JSON");
    const huge = await t.request("POST", "/api/v1/flags", { key: "x", description: "a".repeat(17 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe("BODY_TOO_LARGE");
    const none = await t.request("GET", "/api/v1/flags", undefined, { scope: "none" });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe("UNAUTHORIZED");
    const wrong = await t.request("GET", "/api/v1/flags", undefined, { scope: "none", headers: { authorization: "Bearer nope" } });
    expect(wrong.body).toEqual({ code: "UNAUTHORIZED", message: "unknown token" });
    const forbidden = await t.request("POST", "/api/v1/flags", testFlag("nope"), { scope: "read" });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe("FORBIDDEN");
  });

  it("serves health, readiness and the OpenAPI document without a token", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    expect((await t.request("GET", "/healthz", undefined, { scope: "none" })).body).toEqual({ status: "ok" });
    expect((await t.request("GET", "/readyz", undefined, { scope: "none" })).body).toMatchObject({ status: "ready", store: factory.name });
    const doc = await t.request("GET", "/api/docs/json", undefined, { scope: "none" });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/flags", "/api/v1/flags/{key}", "/api/v1/flags/{key}/check"]),
    );
    expect((await t.request("GET", "/api/docs", undefined, { scope: "none" })).status).toBeLessThan(400);
  });
});
