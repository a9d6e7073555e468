import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

describe.each(STORE_FACTORIES)("per-flag judge settings ($name)", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it("answers the defaults for a flag with none, and 404 for an unknown flag", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("plain"))).status).toBe(201);
    const got = await t.request("GET", "/api/v1/flags/plain/judge", undefined, { scope: "read" });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body).toMatchObject({ flag: "plain", set: [], stored: {}, updatedAt: null, updatedBy: null });
    expect(got.body.settings).toMatchObject({
      alpha: 0.05,
      warmupMinutes: 2,
      critical: ["errors", "latencyP99"],
      tolerances: { errors: 1.1 },
    });
    expect((await t.request("GET", "/api/v1/flags/nope/judge")).status).toBe(404);
    expect((await t.request("PUT", "/api/v1/flags/nope/judge", { alpha: 0.01 })).status).toBe(404);
  });

  it("refuses invalid settings naming the field and stores nothing; needs the write scope", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("strict"))).status).toBe(201);
    const bad = await t.request("PUT", "/api/v1/flags/strict/judge", { alpha: 0.01, tolerances: { errors: 0.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("VALIDATION_FAILED");
    expect(bad.body.message).toContain("tolerances.errors: must be at least 1");
    const unknown = await t.request("PUT", "/api/v1/flags/strict/judge", { critical: ["errors", "speed"], colour: "red" });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.details)).toMatch(/critical\[1\]/);
    expect(JSON.stringify(unknown.body.details)).toMatch(/colour/);
    const crossed = await t.request("PUT", "/api/v1/flags/strict/judge", { tolerances: { errors: 1.6 } });
    expect(crossed.status).toBe(400);
    expect(crossed.body.message).toContain("tolerances.safe");
    expect((await t.request("PUT", "/api/v1/flags/strict/judge", { alpha: 0.01 }, { scope: "read" })).status).toBe(403);
    const after = await t.request("GET", "/api/v1/flags/strict/judge");
    expect(after.body).toMatchObject({ set: [], stored: {} });
    const audit = await t.request("GET", "/api/v1/flags/strict/audit?limit=100");
    expect(audit.body.entries.filter((e: { action: string }) => e.action.startsWith("judge."))).toEqual([]);
  });

  it("stores a partial set (audited), judges the flag's verdict with it, and resets to the defaults", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("tuned"))).status).toBe(201);
    const put = await t.request(
      "PUT",
      "/api/v1/flags/tuned/judge",
      { alpha: 0.01, critical: ["errors"], tolerances: { errors: 1.25 } },
      { scope: "write" },
    );
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.set.sort()).toEqual(["alpha", "critical", "tolerances.errors"]);
    expect(put.body.settings).toMatchObject({ alpha: 0.01, critical: ["errors"], tolerances: { errors: 1.25, latencyTail: 1.2 } });
    expect(put.body.updatedBy).toBe("write-token");
    const got = await t.request("GET", "/api/v1/flags/tuned/judge", undefined, { scope: "read" });
    expect(got.body).toEqual(put.body);

    const verdict = await t.request("GET", "/api/v1/flags/tuned/verdict?since=30m", undefined, { scope: "read" });
    expect(verdict.status).toBe(200);
    expect(verdict.body.alpha).toBe(0.01);
    expect(verdict.body.metrics.filter((m: { critical: boolean }) => m.critical).map((m: { metric: string }) => m.metric)).toEqual([
      "errors",
    ]);
    const errors = verdict.body.metrics.find((m: { metric: string }) => m.metric === "errors");
    expect(errors.harm.nullRatio).toBe(1.25);

    // PUT replaces: a second set keeps only its own fields.
    const second = await t.request("PUT", "/api/v1/flags/tuned/judge", { warmupMinutes: 3 });
    expect(second.body.set).toEqual(["warmupMinutes"]);
    expect(second.body.settings.alpha).toBe(0.05);

    const reset = await t.request("DELETE", "/api/v1/flags/tuned/judge", undefined, { scope: "write" });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ set: [], stored: {}, settings: { alpha: 0.05, warmupMinutes: 2 } });
    expect((await t.request("DELETE", "/api/v1/flags/tuned/judge")).status).toBe(200);

    const audit = await t.request("GET", "/api/v1/flags/tuned/audit?limit=100");
    const entries = (audit.body.entries as { action: string; actor: string; before: unknown; after: unknown }[])
      .filter((e) => e.action.startsWith("judge."))
      .reverse();
    expect(entries.map((e) => e.action)).toEqual(["judge.set", "judge.set", "judge.reset"]);
    expect(entries[0]).toMatchObject({
      actor: "write-token",
      before: null,
      after: { alpha: 0.01, critical: ["errors"], tolerances: { errors: 1.25 } },
    });
    expect(entries[2]).toMatchObject({ before: { warmupMinutes: 3 }, after: null });
  });

  it("gives ramps the flag's settings, a ramp's own fields overriding them one by one, and says where each came from", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("layered"))).status).toBe(201);
    expect((await t.request("POST", "/api/v1/flags", testFlag("inherits"))).status).toBe(201);
    for (const key of ["layered", "inherits"]) {
      const put = await t.request("PUT", `/api/v1/flags/${key}/judge`, { alpha: 0.02, warmupMinutes: 5, tolerances: { errors: 1.3 } });
      expect(put.status).toBe(200);
    }
    const plan = { minStep: "1h", maxStep: "2h" };
    const inherits = await t.request("POST", "/api/v1/flags/inherits/ramp", { plan });
    expect(inherits.status, JSON.stringify(inherits.body)).toBe(201);
    expect(inherits.body.ramp.judge).toEqual({});
    expect(inherits.body.ramp.judgeEffective.settings).toMatchObject({ alpha: 0.02, tolerances: { errors: 1.3 } });
    expect(inherits.body.ramp.judgeEffective.sources).toMatchObject({
      alpha: "flag",
      "tolerances.errors": "flag",
      "tolerances.safe": "default",
      warmupMinutes: "plan",
    });

    const layered = await t.request("POST", "/api/v1/flags/layered/ramp", {
      plan,
      judge: { alpha: 0.01, tolerances: { latencyTail: 1.4 } },
    });
    expect(layered.status, JSON.stringify(layered.body)).toBe(201);
    expect(layered.body.ramp.judge).toEqual({ alpha: 0.01, tolerances: { latencyTail: 1.4 } });
    expect(layered.body.ramp.judgeEffective.settings).toMatchObject({
      alpha: 0.01,
      tolerances: { errors: 1.3, latencyTail: 1.4, safe: 1.5 },
    });
    expect(layered.body.ramp.judgeEffective.sources).toMatchObject({
      alpha: "ramp",
      "tolerances.latencyTail": "ramp",
      "tolerances.errors": "flag",
      critical: "default",
    });
    const verdict = await t.request("GET", "/api/v1/flags/layered/verdict", undefined, { scope: "read" });
    expect(verdict.body.alpha).toBe(0.01);
    expect(verdict.body.ramp).not.toBeNull();

    // The ramp's own fields must combine with the flag's: a safe margin under the flag's harm tolerance is refused, naming it.
    expect((await t.request("POST", "/api/v1/flags", testFlag("clash"))).status).toBe(201);
    expect((await t.request("PUT", "/api/v1/flags/clash/judge", { tolerances: { errors: 1.4 } })).status).toBe(200);
    const clash = await t.request("POST", "/api/v1/flags/clash/ramp", { plan, judge: { tolerances: { safe: 1.35 } } });
    expect(clash.status).toBe(400);
    expect(clash.body.message).toContain("judge.tolerances.safe");
    expect((await t.request("GET", "/api/v1/flags/clash/ramp")).status).toBe(404);
  });

  it("drops a flag's settings with the flag", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("gone"))).status).toBe(201);
    expect((await t.request("PUT", "/api/v1/flags/gone/judge", { alpha: 0.01 })).status).toBe(200);
    const deleted = await t.request("DELETE", "/api/v1/flags/gone");
    expect(deleted.status, JSON.stringify(deleted.body)).toBeLessThan(300);
    expect((await t.request("POST", "/api/v1/flags", testFlag("gone"))).status).toBe(201);
    expect((await t.request("GET", "/api/v1/flags/gone/judge")).body.set).toEqual([]);
  });
});
