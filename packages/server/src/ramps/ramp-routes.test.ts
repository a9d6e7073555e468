import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";
import { trafficSide } from "./test-traffic.js";

const MINUTE = 60_000;
const HALF = {
  fallthrough: {
    split: [
      { variant: "on", weight: 50 },
      { variant: "off", weight: 50 },
    ],
  },
};

/** Split 50/50 windows for the last `minutes` complete minutes. */
async function report(t: TestServer, flag: string, minutes: number, darkErrorRate: number): Promise<void> {
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const windows = Array.from({ length: minutes }, (_, i) => ({
    flag,
    source: "proxy",
    route: "GET /items",
    start: new Date(now - (minutes - i) * MINUTE).toISOString(),
    baseline: trafficSide(50_000, 500),
    dark: trafficSide(50_000, Math.round(50_000 * darkErrorRate)),
    comparison: { total: 0, matched: 0, mismatched: 0, noiseTotal: 0, fields: {}, noise: {} },
    samples: [],
  }));
  expect((await t.request("POST", "/api/v1/observations", { windows }, { scope: "sdk" })).status).toBe(202);
}

const sqlite = STORE_FACTORIES.filter((f) => f.name === "sqlite");

describe.each(sqlite)("ramp and verdict routes ($name)", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it("judges a flag under no ramp over the period: REGRESSION with numbers and why, 412 at the gate, series for charts", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("judged", HALF))).status).toBe(201);
    await report(t, "judged", 20, 0.03);
    const verdict = await t.request("GET", "/api/v1/flags/judged/verdict?since=30m", undefined, { scope: "read" });
    expect(verdict.status, JSON.stringify(verdict.body)).toBe(200);
    expect(verdict.body).toMatchObject({ flag: "judged", state: "REGRESSION", ok: false, mode: "split", ramp: null });
    expect(verdict.body.why).toMatch(/errors/);
    const errors = verdict.body.metrics.find((m: { metric: string }) => m.metric === "errors");
    expect(errors.estimate).toBeCloseTo(3, 1);
    expect(errors.harm.crossed).toBe(true);
    expect(verdict.body.evidenceNeeded).toHaveProperty("remaining");

    const gate = await t.request("POST", "/api/v1/flags/judged/verdict/gate?since=30m", { phase: "Progressing" }, { scope: "read" });
    expect(gate.status).toBe(412);
    expect(gate.body).toMatchObject({ code: "GATE_CLOSED", details: { state: "REGRESSION" } });
    expect(gate.body.message).toMatch(/^judged: REGRESSION: .*errors/);

    const analysis = await t.request("GET", "/api/v1/flags/judged/analysis?since=30m", undefined, { scope: "read" });
    expect(analysis.status).toBe(200);
    const tested = analysis.body.series.filter((m: { tested: boolean }) => m.tested);
    expect(tested.length).toBeGreaterThan(10);
    expect(tested[tested.length - 1].metrics.errors.eHarm).toBeGreaterThan(60);
  });

  it("answers 200 at the gate for a healthy flag", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("fine", HALF))).status).toBe(201);
    await report(t, "fine", 20, 0.01);
    const gate = await t.request("POST", "/api/v1/flags/fine/verdict/gate", {}, { scope: "read" });
    expect(gate.status, JSON.stringify(gate.body)).toBe(200);
    expect(gate.body.ok).toBe(true);
    expect(gate.body.state).not.toBe("REGRESSION");
    // As a promotion gate only SAFE passes.
    const strict = await t.request("POST", "/api/v1/flags/fine/verdict/gate?since=30m&require=safe", {}, { scope: "read" });
    expect(strict.status).toBe(strict.body.state === "SAFE" ? 200 : 412);
    if (strict.status === 412) expect(strict.body.code).toBe("GATE_CLOSED");
    expect((await t.request("POST", "/api/v1/flags/fine/verdict/gate?require=maybe", {}, { scope: "read" })).status).toBe(400);
  });

  it("refuses bad plans naming the field, unknown flags and a second ramp; lists ramps; controls need the write scope", async (ctx) => {
    if (!t) return ctx.skip();
    expect((await t.request("POST", "/api/v1/flags", testFlag("planned"))).status).toBe(201);
    const bad = await t.request("POST", "/api/v1/flags/planned/ramp", { plan: { steps: [5, 1] } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.details)).toMatch(/plan\.steps\.1|steps\[1\]/);
    expect((await t.request("POST", "/api/v1/flags/nope/ramp", {})).status).toBe(404);
    expect((await t.request("GET", "/api/v1/flags/planned/ramp")).status).toBe(404);
    const started = await t.request("POST", "/api/v1/flags/planned/ramp", { plan: { minStep: "1h", maxStep: "2h" }, darkBuild: "v2" });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.ramp).toMatchObject({ flag: "planned", status: "running", darkBuild: "v2", plan: { steps: [1, 5, 25, 50, 100] } });
    expect((await t.request("POST", "/api/v1/flags/planned/ramp", {})).status).toBe(409);
    expect((await t.request("POST", "/api/v1/flags/planned/ramp/pause", {}, { scope: "read" })).status).toBe(403);
    expect((await t.request("POST", "/api/v1/flags/planned/ramp/explode", {})).status).toBe(400);
    const paused = await t.request("POST", "/api/v1/flags/planned/ramp/pause", { reason: "lunch" }, { scope: "write" });
    expect(paused.body.ramp.state.statusWhy).toMatch(/paused by write-token.*lunch/);
    const promoted = await t.request("POST", "/api/v1/flags/planned/ramp/promote", {});
    expect(promoted.body.ramp.state.target).toEqual({ phase: "serve", percentage: 5 });
    const list = await t.request("GET", "/api/v1/ramps", undefined, { scope: "read" });
    expect(list.body.ramps.map((r: { flag: string }) => r.flag)).toContain("planned");
    const verdict = await t.request("GET", "/api/v1/flags/planned/verdict", undefined, { scope: "read" });
    expect(verdict.body.ramp).toMatchObject({ status: "running", percentage: 5 });
    expect(verdict.body.state).toBe("INSUFFICIENT");
  });

  it("exposes verdict states, e-values and thresholds of ramped flags to Prometheus", async (ctx) => {
    if (!t) return ctx.skip();
    const metrics = await t.request("GET", "/metrics", undefined, { scope: "read" });
    expect(metrics.status).toBe(200);
    expect(String(metrics.headers["content-type"])).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/# TYPE darklaunch_verdict_state gauge/);
    expect(metrics.body).toMatch(/darklaunch_ramp_percentage\{flag="planned",ramp="rmp_[0-9a-f]+"\} 5/);
    expect((await t.request("GET", "/metrics", undefined, { scope: "none" })).status).toBe(401);
  });
});
