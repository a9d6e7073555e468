import { compile } from "@darklaunch/core";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

/** A flag as stored before `matches` moved to RE2: its first rule's regex has a backreference, its second a lookahead. */
function legacyFlag(key: string) {
  return testFlag(key, {
    version: 1,
    rules: [
      {
        id: "doubled",
        description: "repeated letters",
        conditions: [
          { attribute: "country", op: "in", values: ["NL"] },
          { attribute: "email", op: "matches", values: ["^(a)\\1@"], negate: true },
        ],
        serve: { variant: "on" },
      },
      { id: "lookahead", conditions: [{ attribute: "email", op: "matches", values: ["^(?=x)"] }], serve: { variant: "on" } },
      { id: "fine", conditions: [{ attribute: "email", op: "matches", values: ["@example\\.com$"] }], serve: { variant: "on" } },
    ],
    fallthrough: { variant: "off" },
  });
}

describe.each(STORE_FACTORIES)("flags holding a regex RE2 rejects ($name)", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it("are listed and served with the rule not evaluable (never matching, saying why); saving needs a valid regex", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("neighbour"))).status).toBe(201);
    const at = new Date().toISOString();
    const db = t.server.database.db;
    await db
      .insertInto("flags")
      .values({ key: "legacy", version: 1, archived: 0, data: JSON.stringify(legacyFlag("legacy")), created_at: at, updated_at: at })
      .execute();
    await db.updateTable("meta").set({ value: sql`value + 1` }).where("name", "=", "revision").execute();

    const list = await t.request("GET", "/api/v1/flags", undefined, { scope: "read" });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.flags.map((f: { key: string }) => f.key).sort()).toEqual(["legacy", "neighbour"]);

    const got = await t.request("GET", "/api/v1/flags/legacy", undefined, { scope: "read" });
    expect(got.status).toBe(200);
    const [doubled, lookahead, fine] = got.body.rules;
    expect(doubled.description).toMatch(
      /^not evaluable, never matches: condition 2 \(email matches "\^\(a\)\\\\1@": regex does not compile/,
    );
    expect(doubled.description).toMatch(/description: repeated letters/);
    expect(doubled.conditions[1]).not.toHaveProperty("negate");
    expect(lookahead.description).toMatch(/^not evaluable/);
    expect(fine.description).toBeUndefined();
    expect(fine.conditions[0].values).toEqual(["@example\\.com$"]);

    // The SDK snapshot compiles, and the broken rules never match, negated or not.
    const snapshot = await t.request("GET", "/api/v1/sdk/snapshot", undefined, { scope: "sdk" });
    expect(snapshot.status).toBe(200);
    const compiled = compile(snapshot.body.ruleset);
    expect(compiled.evaluate("legacy", { userId: "u1", country: "NL", email: "b@x" }).variant).toBe("off");
    expect(compiled.evaluate("legacy", { userId: "u1", email: "xy@x" }).variant).toBe("off");
    expect(compiled.evaluate("legacy", { userId: "u1", email: "a@example.com" })).toMatchObject({ variant: "on", ruleId: "fine" });

    const evaluated = await t.request(
      "POST",
      "/api/v1/flags/legacy/evaluate",
      { context: { userId: "u1", country: "NL", email: "b@x" } },
      { scope: "read" },
    );
    expect(evaluated.status).toBe(200);
    expect(evaluated.body.variant).toBe("off");
    const check = await t.request(
      "POST",
      "/api/v1/flags/legacy/check",
      { id: "u1", context: { country: "NL", email: "b@x" } },
      { scope: "read" },
    );
    expect(check.status, JSON.stringify(check.body)).toBe(200);
    const steps = check.body.results[0].steps as { step: string; detail: string }[];
    expect(steps.find((s) => s.detail.startsWith('rule "doubled"'))?.detail).toMatch(
      /never matches: not evaluable.*does not compile with RE2/,
    );

    // Writing the old regex again is refused, naming it; a valid one is taken and the rule evaluates again.
    const { version: _v, ...again } = legacyFlag("legacy");
    const refused = await t.request("PUT", "/api/v1/flags/legacy", { ...again, version: 1 });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body.details)).toMatch(/rules\[0\]\.conditions\[1\]\.values\[0\]/);
    const rules = (again.rules as { id: string; conditions: { values: string[] }[] }[]).slice(2);
    const fixed = await t.request("PUT", "/api/v1/flags/legacy", { ...again, rules, version: 1 });
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    expect((await t.request("GET", "/api/v1/flags/legacy")).body.rules.map((r: { id: string }) => r.id)).toEqual(["fine"]);
  });

  it("refuses a write that would store the placeholder in place of the original regex (409 naming the rules); the row is untouched", async (ctx) => {
    if (!t) return ctx.skip();
    const at = new Date().toISOString();
    const db = t.server.database.db;
    const data = JSON.stringify(legacyFlag("kept"));
    await db.insertInto("flags").values({ key: "kept", version: 1, archived: 0, data, created_at: at, updated_at: at }).execute();
    await db.updateTable("meta").set({ value: sql`value + 1` }).where("name", "=", "revision").execute();
    const row = async () =>
      db.selectFrom("flags").select(["data", "version", "archived"]).where("key", "=", "kept").executeTakeFirstOrThrow();

    const refusals = [
      await t.request("PATCH", "/api/v1/flags/kept", { description: "a new description" }),
      await t.request("PATCH", "/api/v1/flags/kept", { enabled: false }),
      await t.request("POST", "/api/v1/flags/kept/archive", {}),
    ];
    // The flag as read (placeholders and all), PUT back: the same loss, refused the same way.
    const { archived: _a, createdAt: _c, updatedAt: _u, ...asRead } = (await t.request("GET", "/api/v1/flags/kept")).body;
    refusals.push(await t.request("PUT", "/api/v1/flags/kept", asRead));
    for (const refused of refusals) {
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.code).toBe("NOT_EVALUABLE");
      expect(refused.body.message).toMatch(
        /^flag "kept" cannot be saved: rules "doubled" \(not evaluable, never matches: condition 2 \(email matches "\^\(a\)\\\\1@"/,
      );
      expect(refused.body.message).toMatch(/"lookahead" \(not evaluable/);
      expect(refused.body.message).toMatch(/PUT the flag with these rules' regex rewritten for RE2 .* or without the rule/);
      expect(refused.body.details).toEqual({ rules: ["doubled", "lookahead"] });
    }
    expect(await row()).toMatchObject({ data, archived: 0 });
    expect(Number((await row()).version)).toBe(1);

    // Removing one of the two still leaves the other to lose: refused, naming only it.
    const one = await t.request("PATCH", "/api/v1/flags/kept", { removeRule: "doubled" });
    expect(one.status).toBe(409);
    expect(one.body.details).toEqual({ rules: ["lookahead"] });
    expect((await row()).data).toBe(data);

    // The fix the message names: PUT the rules with RE2 regexes; then any write goes through.
    const { version: _v, ...again } = legacyFlag("kept");
    const rules = again.rules as { id: string; conditions: { op: string; values: string[] }[] }[];
    rules[0]!.conditions[1]!.values = ["^(aa)@"];
    rules[1]!.conditions[0]!.values = ["^x"];
    const fixed = await t.request("PUT", "/api/v1/flags/kept", { ...again, rules, version: 1 });
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    const patched = await t.request("PATCH", "/api/v1/flags/kept", { description: "a new description" });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.rules.map((r: { conditions: { values: string[] }[] }) => r.conditions.at(-1)?.values)).toEqual([
      ["^(aa)@"],
      ["^x"],
      ["@example\\.com$"],
    ]);
  });
});
