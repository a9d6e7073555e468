import { compile } from "@darklaunch/core";
import { caseTime, loadEvaluationFixtures } from "@darklaunch/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { provisionRuleset, STORE_FACTORIES, startTestServer, type TestServer, testFlag, useTestServer } from "../test-support.js";

// The shared (ruleset, context) → result cases through OFREP: same variant, value and reasons as
// the core, OFREP's error codes for unknown flags and bad contexts.
const fixtures = loadEvaluationFixtures();

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

describe.each(STORE_FACTORIES)("OFREP on the evaluation fixtures on $name", (factory) => {
  const servers: TestServer[] = [];
  let clock = Date.parse(fixtures.now);
  afterAll(async () => {
    for (const t of servers) {
      await t.close();
      await t.store.drop();
    }
  });

  for (const [name, ruleset] of Object.entries(fixtures.rulesets)) {
    const cases = fixtures.cases.filter((c) => c.ruleset === name && c.expect.errorCode !== "TYPE_MISMATCH");

    it(`ruleset "${name}": ${cases.length} cases, single and bulk, as the core answers them`, async (ctx) => {
      const store = await factory.create();
      if (!store) return ctx.skip("no Postgres");
      const t = await startTestServer(store, { now: () => clock });
      servers.push(t);
      await provisionRuleset(t, ruleset);
      const stored = (await t.request("GET", "/api/v1/flags")).body;
      expect(stored).toBeDefined();

      let recorded = 0;
      for (const c of cases) {
        clock = caseTime(fixtures, c);
        const core = compile(ruleset, { now: () => clock }).evaluate(c.flag, c.context);
        const single = await t.request("POST", `/ofrep/v1/evaluate/flags/${c.flag}`, { context: c.context }, { scope: "sdk" });
        const flagExists = c.expect.errorCode !== "FLAG_NOT_FOUND";
        if (c.expect.errorCode === "FLAG_NOT_FOUND") {
          expect(single.status, c.name).toBe(404);
          expect(single.body, c.name).toEqual({ key: c.flag, errorCode: "FLAG_NOT_FOUND", errorDetails: expect.any(String) });
        } else if (c.expect.errorCode === "INVALID_CONTEXT") {
          expect(single.status, c.name).toBe(400);
          expect(single.body, c.name).toEqual({ key: c.flag, errorCode: "INVALID_CONTEXT", errorDetails: expect.any(String) });
        } else {
          expect(single.status, `${c.name}: ${JSON.stringify(single.body)}`).toBe(200);
          expect(single.body, c.name).toEqual({
            key: c.flag,
            value: c.expect.value,
            variant: c.expect.variant,
            reason: core.openFeatureReason,
            metadata: {
              reason: c.expect.reason,
              flagVersion: expect.any(Number),
              ...(c.expect.ruleId === undefined ? {} : { ruleId: c.expect.ruleId }),
              ...(core.position === undefined ? {} : { position: core.position }),
            },
          });
        }
        // A context that is not an object is refused before anything is evaluated or recorded.
        if (flagExists && isObject(c.context)) recorded += 1;

        const bulk = await t.request("POST", "/ofrep/v1/evaluate/flags", { context: c.context }, { scope: "sdk" });
        if (!isObject(c.context)) {
          expect(bulk.status, c.name).toBe(400);
          expect(bulk.body, c.name).toEqual({ errorCode: "INVALID_CONTEXT", errorDetails: expect.any(String) });
          continue;
        }
        expect(bulk.status, c.name).toBe(200);
        expect(bulk.headers.etag, c.name).toMatch(/^"[\w-]+"$/);
        const all = compile(ruleset, { now: () => clock }).evaluateAll(c.context);
        expect(bulk.body.flags.map((f: { key: string }) => f.key).sort()).toEqual(all.map((r) => r.flagKey).sort());
        // One row per bulk call, whatever the number of flags.
        if (all.length > 0) recorded += 1;
        const entry = bulk.body.flags.find((f: { key: string }) => f.key === c.flag);
        if (!flagExists) {
          expect(entry, c.name).toBeUndefined();
        } else if (c.expect.errorCode !== undefined) {
          expect(entry, c.name).toMatchObject({ key: c.flag, errorCode: c.expect.errorCode });
        } else {
          expect(entry, c.name).toEqual(single.body);
        }
      }
      const rows = await t.server.database.db
        .selectFrom("evaluations")
        .select((eb) => eb.fn.countAll<string | number>().as("n"))
        .where("source", "=", "ofrep")
        .executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(recorded);
    });
  }
});

describe.each(STORE_FACTORIES)("OFREP protocol details on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, async (server) => {
    t = server;
    if (!t) return;
    await t.request("POST", "/api/v1/flags", testFlag("ofrep-a", { bucketBy: "id" }));
    await t.request("POST", "/api/v1/flags", testFlag("ofrep-b", { fallthrough: { variant: "on" } }));
  });

  it("answers 401 and 403 without a body", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    for (const url of ["/ofrep/v1/evaluate/flags/ofrep-a", "/ofrep/v1/evaluate/flags"]) {
      const none = await t.request("POST", url, { context: {} }, { scope: "none" });
      expect(none.status).toBe(401);
      expect(none.body).toBeUndefined();
      const wrong = await t.request("POST", url, { context: {} }, { headers: { authorization: "Bearer dl_nope" }, scope: "none" });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toBeUndefined();
      const read = await t.request("POST", url, { context: {} }, { scope: "read" });
      expect(read.status).toBe(403);
      expect(read.body).toBeUndefined();
      expect((await t.request("POST", url, { context: {} }, { scope: "admin" })).status).toBe(200);
      expect((await t.request("POST", url, { context: {} }, { scope: "sdk" })).status).toBe(200);
    }
    // Other routes keep their JSON 401.
    expect((await t.request("GET", "/api/v1/flags", undefined, { scope: "none" })).body.code).toBe("UNAUTHORIZED");
  });

  it("bulk: an ETag from revision and context, 304 on If-None-Match, a new tag after a write", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const context = { targetingKey: "u1", country: "NL" };
    const first = await t.request("POST", "/ofrep/v1/evaluate/flags", { context }, { scope: "sdk" });
    expect(first.status).toBe(200);
    const etag = String(first.headers.etag);
    // Key order does not matter; the context does.
    const same = await t.request("POST", "/ofrep/v1/evaluate/flags", { context: { country: "NL", targetingKey: "u1" } }, { scope: "sdk" });
    expect(same.headers.etag).toBe(etag);
    const other = await t.request("POST", "/ofrep/v1/evaluate/flags", { context: { targetingKey: "u2" } }, { scope: "sdk" });
    expect(other.headers.etag).not.toBe(etag);

    const before = await t.request("GET", "/api/v1/evaluations?source=ofrep&limit=1000");
    const cached = await t.request("POST", "/ofrep/v1/evaluate/flags", { context }, { scope: "sdk", headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect(cached.body).toBeUndefined();
    expect(cached.headers.etag).toBe(etag);
    const weak = await t.request(
      "POST",
      "/ofrep/v1/evaluate/flags",
      { context },
      { scope: "sdk", headers: { "if-none-match": `"x", W/${etag}` } },
    );
    expect(weak.status).toBe(304);
    const after = await t.request("GET", "/api/v1/evaluations?source=ofrep&limit=1000");
    expect(after.body.evaluations.length).toBe(before.body.evaluations.length);

    expect((await t.request("PATCH", "/api/v1/flags/ofrep-b", { enabled: false })).status).toBe(200);
    const changed = await t.request("POST", "/ofrep/v1/evaluate/flags", { context }, { scope: "sdk", headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body.flags.find((f: { key: string }) => f.key === "ofrep-b")).toMatchObject({
      reason: "DISABLED",
      variant: "off",
      value: false,
    });
  });

  it("records every single evaluation with source ofrep, and one row (a flag drawn at random) per bulk call", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const single = await t.request("POST", "/ofrep/v1/evaluate/flags/ofrep-a", { context: { targetingKey: "rec-1" } }, { scope: "sdk" });
    expect(single.status).toBe(200);
    const [row] = (await t.request("GET", "/api/v1/evaluations?source=ofrep&subject=rec-1")).body.evaluations;
    expect(row).toMatchObject({
      flag: "ofrep-a",
      subject: "rec-1",
      source: "ofrep",
      variant: single.body.variant,
      reason: single.body.metadata.reason,
    });
    await t.request("POST", "/ofrep/v1/evaluate/flags", { context: { targetingKey: "rec-2" } }, { scope: "sdk" });
    const bulk = (await t.request("GET", "/api/v1/evaluations?source=ofrep&subject=rec-2")).body.evaluations;
    expect(bulk).toHaveLength(1);
    expect(["ofrep-a", "ofrep-b"]).toContain(bulk[0].flag);
    // Unknown keys are answered but not recorded.
    expect(
      (await t.request("POST", "/ofrep/v1/evaluate/flags/ghost", { context: { targetingKey: "rec-3" } }, { scope: "sdk" })).status,
    ).toBe(404);
    expect((await t.request("GET", "/api/v1/evaluations?subject=rec-3")).body.evaluations).toEqual([]);
  });

  it("bad bodies: PARSE_ERROR for broken JSON, INVALID_CONTEXT for a context that is not an object", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const broken = await t.request("POST", "/ofrep/v1/evaluate/flags/ofrep-a", "{not json", { scope: "sdk" });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ key: "ofrep-a", errorCode: "PARSE_ERROR" });
    const brokenBulk = await t.request("POST", "/ofrep/v1/evaluate/flags", "{not json", { scope: "sdk" });
    expect(brokenBulk.status).toBe(400);
    expect(brokenBulk.body).toMatchObject({ errorCode: "PARSE_ERROR" });
    expect(brokenBulk.body.key).toBeUndefined();
    const list = await t.request("POST", "/ofrep/v1/evaluate/flags/ofrep-a", { context: [1] }, { scope: "sdk" });
    expect(list.status).toBe(400);
    expect(list.body).toMatchObject({ key: "ofrep-a", errorCode: "INVALID_CONTEXT" });
    // No body at all is an empty context (ofrep-b was disabled by the ETag test).
    const empty = await t.request("POST", "/ofrep/v1/evaluate/flags/ofrep-b", undefined, { scope: "sdk" });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ key: "ofrep-b", value: false, variant: "off", reason: "DISABLED" });
  });
});
