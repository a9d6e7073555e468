import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durationMs } from "../query-params.js";
import { ADMIN_SECRET, STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";

describe("time parameters", () => {
  it("reads durations", () => {
    expect(durationMs("30m")).toBe(1_800_000);
    expect(durationMs("1h")).toBe(3_600_000);
    expect(durationMs("7d")).toBe(604_800_000);
    expect(durationMs("2w")).toBe(1_209_600_000);
    expect(durationMs("1y")).toBeUndefined();
    expect(durationMs("h")).toBeUndefined();
    expect(durationMs("-1h")).toBeUndefined();
  });
});

describe.each(STORE_FACTORIES)("audit API on $name", (factory) => {
  let t: TestServer | undefined;
  const started = new Date().toISOString();

  beforeAll(async () => {
    const store = await factory.create();
    if (!store) return;
    t = await startTestServer(store);
    // Known history: three flags, changed by two actors.
    await t.request("POST", "/api/v1/flags", testFlag("audit-a"));
    await t.request("PATCH", "/api/v1/flags/audit-a", { percentage: 20 });
    await t.request("PATCH", "/api/v1/flags/audit-a", { enabled: false }, { scope: "write" });
    await t.request("POST", "/api/v1/flags", testFlag("audit-b"), { scope: "write" });
    await t.request("POST", "/api/v1/flags", testFlag("audit-gone"));
    await t.request("DELETE", "/api/v1/flags/audit-gone");
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  it("lists newest first with actor, action, target, before and after", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const response = await t.request("GET", "/api/v1/audit?targetType=flag", undefined, { scope: "read" });
    expect(response.status).toBe(200);
    const { entries, nextBefore } = response.body;
    expect(nextBefore).toBeNull();
    expect(entries.map((e: { action: string; targetKey: string }) => `${e.action} ${e.targetKey}`)).toEqual([
      "flag.delete audit-gone",
      "flag.create audit-gone",
      "flag.create audit-b",
      "flag.disable audit-a",
      "flag.rollout audit-a",
      "flag.create audit-a",
    ]);
    const rollout = entries[4];
    expect(rollout).toMatchObject({
      actor: "admin (DARKLAUNCH_ADMIN_TOKEN)",
      targetType: "flag",
      before: { version: 1 },
      after: { version: 2 },
    });
    expect(rollout.at >= started).toBe(true);
    expect(entries[3].actor).toBe("write-token");
    const ids = entries.map((e: { id: number }) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it("filters by target, actor, action, since and until", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const get = async (query: string) => {
      const response = await t!.request("GET", `/api/v1/audit?${query}`, undefined, { scope: "read" });
      expect(response.status, query).toBe(200);
      return response.body.entries.map((e: { action: string; targetKey: string }) => `${e.action} ${e.targetKey}`);
    };
    expect(await get("targetType=flag&target=audit-a")).toEqual(["flag.disable audit-a", "flag.rollout audit-a", "flag.create audit-a"]);
    expect(await get("actor=write-token")).toEqual(["flag.create audit-b", "flag.disable audit-a"]);
    expect(await get("action=flag.create&targetType=flag")).toEqual([
      "flag.create audit-gone",
      "flag.create audit-b",
      "flag.create audit-a",
    ]);
    expect(await get("targetType=flag&since=1h")).toHaveLength(6);
    expect(await get(`targetType=flag&since=${encodeURIComponent(started)}`)).toHaveLength(6);
    expect(await get("targetType=flag&until=1h")).toEqual([]);
    expect(await get("targetType=flag&until=2000-01-01")).toEqual([]);
    expect(await get("targetType=flag&since=2999-01-01T00:00:00%2B01:00")).toEqual([]);
    expect(await get("target=nothing-here")).toEqual([]);
  });

  it("pages with before and limit", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const first = await t.request("GET", "/api/v1/audit?targetType=flag&limit=4");
    expect(first.body.entries).toHaveLength(4);
    expect(first.body.nextBefore).toBe(first.body.entries[3].id);
    const second = await t.request("GET", `/api/v1/audit?targetType=flag&limit=4&before=${first.body.nextBefore}`);
    expect(second.body.entries.map((e: { targetKey: string }) => e.targetKey)).toEqual(["audit-a", "audit-a"]);
    expect(second.body.nextBefore).toBeNull();
    const all = await t.request("GET", "/api/v1/audit?targetType=flag");
    expect([...first.body.entries, ...second.body.entries]).toEqual(all.body.entries);
  });

  it("has a per-flag shortcut that keeps a deleted flag's history and 404s an unknown key", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const a = await t.request("GET", "/api/v1/flags/audit-a/audit?limit=2", undefined, { scope: "read" });
    expect(a.status).toBe(200);
    expect(a.body.entries.map((e: { action: string }) => e.action)).toEqual(["flag.disable", "flag.rollout"]);
    expect(a.body.nextBefore).toBe(a.body.entries[1].id);
    const rest = await t.request("GET", `/api/v1/flags/audit-a/audit?before=${a.body.nextBefore}`);
    expect(rest.body.entries.map((e: { action: string }) => e.action)).toEqual(["flag.create"]);
    const filtered = await t.request("GET", "/api/v1/flags/audit-a/audit?actor=write-token");
    expect(filtered.body.entries).toHaveLength(1);
    const gone = await t.request("GET", "/api/v1/flags/audit-gone/audit");
    expect(gone.body.entries.map((e: { action: string }) => e.action)).toEqual(["flag.delete", "flag.create"]);
    const unknown = await t.request("GET", "/api/v1/flags/ghost/audit");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ code: "NOT_FOUND", message: 'flag "ghost" does not exist' });
    // A flag that exists but has no entry matching the filter is an empty page, not a 404.
    const none = await t.request("GET", "/api/v1/flags/audit-b/audit?action=flag.delete");
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ entries: [], nextBefore: null });
  });

  it("names the bad field in a 400", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    for (const [url, path] of [
      ["/api/v1/audit?since=yesterday", "since"],
      ["/api/v1/audit?until=2026-13-01", "until"],
      ["/api/v1/audit?since=2026-05-01T10:00:00", "since"],
      ["/api/v1/audit?limit=0", "limit"],
      ["/api/v1/audit?limit=1001", "limit"],
      ["/api/v1/audit?limit=ten", "limit"],
      ["/api/v1/audit?before=-3", "before"],
      ["/api/v1/audit?colour=red", ""],
      ["/api/v1/flags/audit-a/audit?since=soon", "since"],
      ["/api/v1/flags/audit-a/audit?targetType=token", ""],
      ["/api/v1/flags/Bad%20Key/audit", "key"],
    ] as const) {
      const response = await t.request("GET", url, undefined, { scope: "read" });
      expect(response.status, url).toBe(400);
      expect(response.body.code, url).toBe("VALIDATION_FAILED");
      expect(
        response.body.details.map((d: { path: string }) => d.path),
        url,
      ).toContain(path);
    }
    const limit = await t.request("GET", "/api/v1/audit?limit=1000");
    expect(limit.status).toBe(200);
  });

  it("needs read scope: 401 without a token, 403 for sdk, both JSON", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    for (const url of ["/api/v1/audit", "/api/v1/flags/audit-a/audit"]) {
      const anonymous = await t.request("GET", url, undefined, { scope: "none" });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe("UNAUTHORIZED");
      const sdk = await t.request("GET", url, undefined, { scope: "sdk" });
      expect(sdk.status).toBe(403);
      expect(sdk.body.code).toBe("FORBIDDEN");
      for (const scope of ["read", "write", "admin"] as const) expect((await t.request("GET", url, undefined, { scope })).status).toBe(200);
    }
  });

  it("never shows a token secret", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const created = await t.request("POST", "/api/v1/tokens", { name: "secretive", scope: "read" });
    const all = await t.request("GET", "/api/v1/audit?limit=1000");
    const text = JSON.stringify(all.body);
    expect(all.body.entries.some((e: { action: string }) => e.action === "token.create")).toBe(true);
    for (const secret of [created.body.secret, ADMIN_SECRET, ...Object.values(t.secrets)]) expect(text).not.toContain(secret);
    expect(text).not.toContain('"hash"');
  });
});
