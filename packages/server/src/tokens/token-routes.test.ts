import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { kyselyStores } from "../store/kysely-stores.js";
import { ADMIN_SECRET, STORE_FACTORIES, type TestServer, useTestServer } from "../test-support.js";
import { newToken } from "./token-service.js";

describe.each(STORE_FACTORIES)("tokens API on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  async function storedHash(id: string): Promise<string | undefined> {
    const row = await t!.server.database.db.selectFrom("tokens").select("hash").where("id", "=", id).executeTakeFirst();
    return row?.hash;
  }

  it("creates a token whose secret is shown once, stored as its SHA-256, and works", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const created = await t.request("POST", "/api/v1/tokens", { name: "ci deploys", scope: "write" });
    expect(created.status).toBe(201);
    const { token, secret } = created.body;
    expect(token).toEqual({
      id: expect.stringMatching(/^tok_/),
      name: "ci deploys",
      scope: "write",
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(secret).toMatch(/^dl_write_/);
    expect(await storedHash(token.id)).toBe(createHash("sha256").update(secret).digest("hex"));

    const withIt = await t.server.app.inject({ method: "GET", url: "/api/v1/flags", headers: { authorization: `Bearer ${secret}` } });
    expect(withIt.statusCode).toBe(200);

    const listed = await t.request("GET", "/api/v1/tokens");
    expect(listed.status).toBe(200);
    const mine = listed.body.tokens.find((x: { id: string }) => x.id === token.id);
    expect(mine).toMatchObject({ name: "ci deploys", scope: "write", revokedAt: null });
    expect(mine.lastUsedAt).not.toBeNull();
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(ADMIN_SECRET);
    expect(text).not.toContain(await storedHash(token.id));
    expect(text).not.toContain('"hash"');
  });

  it("audits create and revoke without the secret or hash", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const { token, secret } = (await t.request("POST", "/api/v1/tokens", { name: "audited", scope: "read" })).body;
    const revoked = await t.request("DELETE", `/api/v1/tokens/${token.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.token).toMatchObject({ id: token.id, revokedAt: expect.any(String) });
    const audit = await t.request("GET", `/api/v1/audit?targetType=token&target=${token.id}`);
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(["token.revoke", "token.create"]);
    expect(audit.body.entries[0]).toMatchObject({
      actor: "admin (DARKLAUNCH_ADMIN_TOKEN)",
      before: { revokedAt: null },
      after: { revokedAt: expect.any(String) },
    });
    expect(audit.body.entries[1].after).toEqual(token);
    const text = JSON.stringify(audit.body);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(await storedHash(token.id));
  });

  it("a revoked token gets 401 with a JSON body", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const { token, secret } = (await t.request("POST", "/api/v1/tokens", { name: "short-lived", scope: "read" })).body;
    await t.request("DELETE", `/api/v1/tokens/${token.id}`);
    const refused = await t.server.app.inject({ method: "GET", url: "/api/v1/flags", headers: { authorization: `Bearer ${secret}` } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining("revoked") });
  });

  it("answers 404 for an unknown token and 409 for a second revoke", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const unknown = await t.request("DELETE", "/api/v1/tokens/tok_0000000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ code: "NOT_FOUND", message: 'token "tok_0000000000000000" does not exist' });
    const { token } = (await t.request("POST", "/api/v1/tokens", { name: "twice", scope: "sdk" })).body;
    expect((await t.request("DELETE", `/api/v1/tokens/${token.id}`)).status).toBe(200);
    const again = await t.request("DELETE", `/api/v1/tokens/${token.id}`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ALREADY_REVOKED");
  });

  it("names the bad field in a 400 and creates nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const before = (await t.request("GET", "/api/v1/tokens")).body.tokens.length;
    for (const [body, path] of [
      [{ name: "", scope: "read" }, "name"],
      [{ name: "   ", scope: "read" }, "name"],
      [{ name: "x".repeat(101), scope: "read" }, "name"],
      [{ scope: "read" }, "name"],
      [{ name: "ok", scope: "root" }, "scope"],
      [{ name: "ok" }, "scope"],
      [{ name: "ok", scope: "read", extra: 1 }, ""],
    ] as const) {
      const response = await t.request("POST", "/api/v1/tokens", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe("VALIDATION_FAILED");
      expect(response.body.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const both = await t.request("POST", "/api/v1/tokens", { name: 7, scope: "nope" });
    expect(both.body.details.map((d: { path: string }) => d.path).sort()).toEqual(["name", "scope"]);
    expect((await t.request("POST", "/api/v1/tokens", { name: "x".repeat(100), scope: "read" })).status).toBe(201);
    expect((await t.request("GET", "/api/v1/tokens")).body.tokens.length).toBe(before + 1);
  });

  it("is admin only: 401 without a token, 403 for every other scope, both JSON with a code", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const routes = [
      ["GET", "/api/v1/tokens", undefined],
      ["POST", "/api/v1/tokens", { name: "sneaky", scope: "admin" }],
      ["DELETE", "/api/v1/tokens/tok_0000000000000000", undefined],
    ] as const;
    for (const [method, url, body] of routes) {
      const anonymous = await t.request(method, url, body, { scope: "none" });
      expect(anonymous.status, `${method} ${url}`).toBe(401);
      expect(anonymous.body).toMatchObject({ code: "UNAUTHORIZED", message: expect.any(String) });
      expect(anonymous.headers["content-type"]).toMatch(/application\/json/);
      for (const scope of ["write", "read", "sdk"] as const) {
        const refused = await t.request(method, url, body, { scope });
        expect(refused.status, `${method} ${url} as ${scope}`).toBe(403);
        expect(refused.body).toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("admin") });
      }
    }
    const bogus = await t.request("GET", "/api/v1/tokens", undefined, {
      scope: "none",
      headers: { authorization: "Bearer dl_admin_not-a-real-token" },
    });
    expect(bogus.status).toBe(401);
    expect(bogus.body.code).toBe("UNAUTHORIZED");
    const listed = await t.request("GET", "/api/v1/tokens");
    expect(listed.body.tokens.some((x: { name: string }) => x.name === "sneaky")).toBe(false);
  });

  // Last: it revokes the suite's admin token.
  it("refuses to revoke the last active admin token", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const admins = (await t.request("GET", "/api/v1/tokens")).body.tokens.filter(
      (x: { scope: string; revokedAt: string | null }) => x.scope === "admin" && x.revokedAt === null,
    );
    expect(admins).toHaveLength(1);
    const refused = await t.request("DELETE", `/api/v1/tokens/${admins[0].id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("IN_USE");

    // With a second admin, the first may go; the second is then the last.
    const second = (await t.request("POST", "/api/v1/tokens", { name: "admin two", scope: "admin" })).body;
    const asSecond = (url: string) =>
      t!.server.app.inject({ method: "DELETE", url, headers: { authorization: `Bearer ${second.secret}` } });
    const first = await asSecond(`/api/v1/tokens/${admins[0].id}`);
    expect(first.statusCode).toBe(200);
    const last = await asSecond(`/api/v1/tokens/${second.token.id}`);
    expect(last.statusCode).toBe(409);
    expect(last.json().code).toBe("IN_USE");
    const entries = (
      await t.server.app.inject({
        method: "GET",
        url: `/api/v1/audit?target=${admins[0].id}&action=token.revoke`,
        headers: { authorization: `Bearer ${second.secret}` },
      })
    ).json().entries;
    expect(entries).toHaveLength(1);
    expect(entries[0].actor).toBe("admin two");
  });

  it("two concurrent revocations of the last two admin tokens leave one", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const db = t.server.database.db;
    const third = newToken("admin three", "admin");
    await kyselyStores(db, t.server.database.dialect).tokens.insert(third.token);
    const active = await db.selectFrom("tokens").select("id").where("scope", "=", "admin").where("revoked_at", "is", null).execute();
    expect(active).toHaveLength(2);
    const outcomes = await Promise.allSettled(active.map((row) => t!.server.context.tokens.revoke(row.id, "racer")));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason.code).toBe("IN_USE");
    const left = await db.selectFrom("tokens").select("id").where("scope", "=", "admin").where("revoked_at", "is", null).execute();
    expect(left).toHaveLength(1);
    expect(third.token.scope).toBe("admin");
  });
});
