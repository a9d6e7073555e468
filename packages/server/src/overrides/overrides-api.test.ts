import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";

describe.each(STORE_FACTORIES)("overrides API on $name", (factory) => {
  let t: TestServer | undefined;

  beforeAll(async () => {
    const store = await factory.create();
    if (!store) return;
    t = await startTestServer(store);
    await t.request("POST", "/api/v1/flags", testFlag("beta"));
    // Two variants besides "off": an opt-in has to say which one.
    await t.request("POST", "/api/v1/flags", {
      key: "theme",
      variants: { dark: "dark", light: "light", off: "default" },
      offVariant: "off",
      enabled: true,
      fallthrough: { variant: "off" },
    });
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  const db = () => (t as TestServer).server.database.db;

  async function auditRows(target: string) {
    return db()
      .selectFrom("audit")
      .select(["action", "before", "after"])
      .where("target_type", "=", "override")
      .where("target_key", "=", target)
      .orderBy("id")
      .execute();
  }

  /** Everything an override write could touch, to show that a rejected one touched nothing. */
  async function storedState() {
    const audit = await db()
      .selectFrom("audit")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    const revision = await db().selectFrom("meta").select("value").where("name", "=", "revision").executeTakeFirstOrThrow();
    return {
      overrides: await db().selectFrom("overrides").selectAll().orderBy("flag").orderBy("subject").execute(),
      flags: await db().selectFrom("flags").selectAll().orderBy("key").execute(),
      audit: Number(audit.n),
      revision: Number(revision.value),
    };
  }

  async function check(flag: string, ids: string[]) {
    const response = await t!.request("POST", `/api/v1/flags/${flag}/check`, { ids }, { scope: "read" });
    expect(response.status).toBe(200);
    return response.body.results.map((r: { subject: string; reason: string; variant: string }) => [r.subject, r.reason, r.variant]);
  }

  it("sets an opt-in, replaces it with a pinned variant, lists and deletes it, auditing each write once", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const created = await t.request("PUT", "/api/v1/flags/beta/overrides/u42", { source: "opt-in" });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ flag: "beta", subject: "u42", variant: null, source: "opt-in", createdAt: expect.any(String) });
    const replaced = await t.request("PUT", "/api/v1/flags/beta/overrides/u42", { source: "pinned", variant: "off" });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ ...created.body, source: "pinned", variant: "off" });
    const listed = await t.request("GET", "/api/v1/flags/beta/overrides", undefined, { scope: "read" });
    expect(listed.body).toEqual({ overrides: [replaced.body] });

    const deleted = await t.request("DELETE", "/api/v1/flags/beta/overrides/u42");
    expect(deleted.status).toBe(204);
    expect((await t.request("GET", "/api/v1/flags/beta/overrides")).body).toEqual({ overrides: [] });

    const audit = await auditRows("beta/u42");
    expect(audit.map((a) => a.action)).toEqual(["override.set", "override.set", "override.delete"]);
    expect(audit.map((a) => [JSON.parse(a.before ?? "null"), JSON.parse(a.after ?? "null")])).toEqual([
      [null, created.body],
      [created.body, replaced.body],
      [replaced.body, null],
    ]);
  });

  it("takes subjects that need escaping in the URL", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    for (const subject of ["ann@example.com", "team/7", "ü ß"]) {
      const url = `/api/v1/flags/beta/overrides/${encodeURIComponent(subject)}`;
      const set = await t.request("PUT", url, { source: "opt-out" });
      expect(set.status, subject).toBe(201);
      expect(set.body.subject).toBe(subject);
      expect((await t.request("DELETE", url)).status).toBe(204);
    }
  });

  it("is honoured by evaluation: the check endpoint answers OVERRIDE for opted-in and opted-out subjects", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("PUT", "/api/v1/flags/theme/overrides/fan", { source: "opt-in", variant: "dark" });
    await t.request("PUT", "/api/v1/flags/beta/overrides/early", { source: "opt-in" });
    await t.request("PUT", "/api/v1/flags/beta/overrides/shy", { source: "opt-out" });
    expect(await check("theme", ["fan", "other"])).toEqual([
      ["fan", "OVERRIDE", "dark"],
      ["other", "FALLTHROUGH", "off"],
    ]);
    expect(await check("beta", ["early", "shy"])).toEqual([
      ["early", "OVERRIDE", "on"],
      ["shy", "OVERRIDE", "off"],
    ]);
    await t.request("DELETE", "/api/v1/flags/beta/overrides/early");
    const [[, reason]] = await check("beta", ["early"]);
    expect(reason).not.toBe("OVERRIDE");
  });

  it("names the bad field in a 400 and changes nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("PUT", "/api/v1/flags/theme/overrides/kept", { source: "pinned", variant: "light" });
    const before = await storedState();
    const cases: [string, unknown, { path: string; message: string }][] = [
      ["theme", { source: "opt-in", variant: "blue" }, { path: "variant", message: 'flag "theme" has no variant "blue"' }],
      [
        "theme",
        { source: "opt-in" },
        { path: "variant", message: 'flag "theme" has 2 variants besides its off variant; name the one to opt in to' },
      ],
      ["theme", { source: "pinned" }, { path: "variant", message: "a pinned override needs a variant" }],
      // Replacing an existing override is validated the same way.
      ["theme/overrides/kept", { source: "pinned", variant: "blue" }, { path: "variant", message: 'flag "theme" has no variant "blue"' }],
      ["beta", { source: "sometimes" }, { path: "source", message: 'must be one of opt-in, opt-out, pinned, got "sometimes"' }],
      ["beta", {}, { path: "source", message: "is required: one of opt-in, opt-out, pinned" }],
      ["beta", { source: "pinned", variant: "bad variant" }, { path: "variant", message: expect.stringMatching(/letters, digits/) }],
    ];
    for (const [target, body, problem] of cases) {
      const url = target.includes("/") ? `/api/v1/flags/${target}` : `/api/v1/flags/${target}/overrides/someone`;
      const response = await t.request("PUT", url, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe("VALIDATION_FAILED");
      expect(response.body.details).toEqual([problem]);
    }
    const noSubject = await t.request("PUT", "/api/v1/flags/beta/overrides/", { source: "opt-in" });
    expect(noSubject.status).toBe(400);
    expect(noSubject.body.details).toEqual([{ path: "subject", message: "must not be empty" }]);
    const nulSubject = await t.request("PUT", "/api/v1/flags/beta/overrides/a%00b", { source: "opt-in" });
    expect(nulSubject.body.details).toEqual([{ path: "subject", message: "must not contain NUL (\\u0000) characters" }]);
    const badKey = await t.request("GET", "/api/v1/flags/bad%20key/overrides");
    expect(badKey.body.details[0].path).toBe("key");
    const readOnly = await t.request("PUT", "/api/v1/flags/beta/overrides/someone", { source: "opt-in" }, { scope: "read" });
    expect(readOnly.status).toBe(403);
    expect(await storedState()).toEqual(before);
  });

  it("answers 404 for unknown flags and absent overrides, 409 for archived flags, and changes nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const before = await storedState();
    for (const [method, url] of [
      ["GET", "/api/v1/flags/ghost/overrides"],
      ["PUT", "/api/v1/flags/ghost/overrides/u1"],
      ["DELETE", "/api/v1/flags/ghost/overrides/u1"],
    ] as const) {
      const response = await t.request(method, url, method === "PUT" ? { source: "opt-in" } : undefined);
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(response.body).toEqual({ code: "NOT_FOUND", message: 'flag "ghost" does not exist' });
    }
    const none = await t.request("DELETE", "/api/v1/flags/beta/overrides/nobody");
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ code: "NOT_FOUND", message: 'override "beta/nobody" does not exist' });
    expect(await storedState()).toEqual(before);

    await t.request("POST", "/api/v1/flags", testFlag("retired"));
    await t.request("PUT", "/api/v1/flags/retired/overrides/kept", { source: "opt-in" });
    await t.request("POST", "/api/v1/flags/retired/archive");
    const archived = await storedState();
    const refused = await t.request("PUT", "/api/v1/flags/retired/overrides/new", { source: "opt-in" });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ code: "IN_USE", message: 'flag "retired" is archived; unarchive it to set overrides' });
    expect(await storedState()).toEqual(archived);
    // An archived flag keeps its overrides, and they can still be listed and removed.
    expect((await t.request("GET", "/api/v1/flags/retired/overrides")).body.overrides).toHaveLength(1);
    expect((await t.request("DELETE", "/api/v1/flags/retired/overrides/kept")).status).toBe(204);
  });
});
