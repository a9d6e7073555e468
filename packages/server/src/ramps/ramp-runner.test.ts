import type { RampRecord } from "@darklaunch/core";
import type { TestReceiver } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { verifySignature } from "../alerts/webhook-signature.js";
import { STORE_FACTORIES, type TestServer, testFlag } from "../test-support.js";
import { eventually, reportUntil, TrafficReporter, useRampTestServer } from "./test-traffic.js";

const MINUTE_MS = 250;
const PLAN = { steps: [1, 5, 25, 50, 100], minStep: "2m", maxStep: "30m", warmup: "1m" };
const HEALTHY = { requests: 1_000_000, baseErrorRate: 0.01, darkErrorRate: () => 0.01 };

function served(ramp: RampRecord): number {
  return ramp.state.target.phase === "serve" ? ramp.state.target.percentage : 0;
}

async function flagPercentage(t: TestServer, key: string): Promise<number> {
  const { body } = await t.request("GET", `/api/v1/flags/${key}`);
  const split = body.fallthrough.split as { variant: string; weight: number }[];
  return split.find((s) => s.variant === "on")?.weight ?? 0;
}

for (const factory of STORE_FACTORIES) {
  describe(`ramps run by the server (${factory.name})`, () => {
    let t: TestServer | undefined;
    let receiver: TestReceiver;
    useRampTestServer(factory, MINUTE_MS, (server, started) => {
      t = server;
      receiver = started;
    });

    it("ramps a healthy dark through every step to 100 %, each step audited as ramp:<id> with the why", async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      expect((await server.request("POST", "/api/v1/flags", testFlag("healthy"))).status).toBe(201);
      const started = await server.request("POST", "/api/v1/flags/healthy/ramp", { plan: PLAN });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body.ramp.id as string;
      expect(await flagPercentage(server, "healthy")).toBe(1);
      expect((await server.request("POST", "/api/v1/flags/healthy/ramp", {})).status).toBe(409);

      const seen = new Set<number>();
      const done = await reportUntil(
        () => server,
        new TrafficReporter("healthy", HEALTHY),
        (ramp) => {
          seen.add(served(ramp));
          return ramp.status !== "running";
        },
      );
      expect(done.status, done.state.statusWhy).toBe("completed");
      // The ramp is written before the flag it changes: wait for the flag.
      await eventually(
        () => flagPercentage(server, "healthy"),
        (p) => p === 100,
        "the flag at 100 %",
      );
      const advances = done.state.history.filter((e) => e.kind === "advance").map((e) => e.target.percentage);
      expect(advances).toEqual([5, 25, 50, 100]);
      const audit = await server.request("GET", "/api/v1/flags/healthy/audit?limit=100");
      const ramped = (audit.body.entries as { actor: string; action: string; after: { why?: string } }[]).filter(
        (e) => e.action === "ramp.advance",
      );
      expect(ramped.length).toBe(4);
      for (const entry of ramped) {
        expect(entry.actor).toBe(`ramp:${id}`);
        expect(entry.after.why).toMatch(/advance/);
      }
      const verdicts = await server.request("GET", "/api/v1/flags/healthy/ramp/verdicts?limit=1000");
      expect(verdicts.status).toBe(200);
      expect(verdicts.body.verdicts.some((v: { state: string }) => v.state === "SAFE")).toBe(true);
    });

    it("rolls a dark with 3× the baseline's errors back to 0, audited with the why, and pages a real receiver once", async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      expect((await server.request("POST", "/api/v1/flags", testFlag("failing"))).status).toBe(201);
      const destination = await server.request("POST", "/api/v1/alerts/destinations", {
        url: `${receiver.url}/${factory.name}`,
        flag: "failing",
        severities: ["page"],
      });
      expect(destination.status, JSON.stringify(destination.body)).toBe(201);
      const started = await server.request("POST", "/api/v1/flags/failing/ramp", { plan: PLAN });
      const id = started.body.ramp.id as string;
      const done = await reportUntil(
        () => server,
        new TrafficReporter("failing", { ...HEALTHY, darkErrorRate: () => 0.03 }),
        (ramp) => ramp.status !== "running",
      );
      expect(done.status, done.state.statusWhy).toBe("rolled_back");
      await eventually(
        () => flagPercentage(server, "failing"),
        (p) => p === 0,
        "the flag back at 0 %",
      );
      const audit = await server.request("GET", "/api/v1/flags/failing/audit?limit=100");
      const rollback = (audit.body.entries as { actor: string; action: string; after: { why: string } }[]).find(
        (e) => e.action === "ramp.rollback",
      );
      expect(rollback?.actor).toBe(`ramp:${id}`);
      expect(rollback?.after.why).toMatch(/errors/);

      const deliveries = await eventually(
        async () => (await server.request("GET", "/api/v1/alerts/deliveries?flag=failing")).body.deliveries as { status: string }[],
        (list) => list.length > 0 && list.every((d) => d.status !== "pending"),
        "the page delivery",
      );
      expect(deliveries.map((d) => d.status)).toEqual(["delivered"]);
      const got = receiver.at(`/${factory.name}`);
      expect(got).toHaveLength(1);
      const [page] = got;
      expect(verifySignature(destination.body.secret, page?.body ?? "", String(page?.headers["x-darklaunch-signature"]))).toBe(true);
      const alert = JSON.parse(page?.body ?? "{}").alert;
      expect(alert).toMatchObject({ kind: "verdict", flag: "failing", severity: "page", state: "REGRESSION" });
      expect(alert.why).toMatch(/errors/);
    });

    it("pauses a ramp whose flag percentage someone changes by hand, and says why", async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      expect((await server.request("POST", "/api/v1/flags", testFlag("handheld"))).status).toBe(201);
      expect((await server.request("POST", "/api/v1/flags/handheld/ramp", { plan: PLAN })).status).toBe(201);
      expect((await server.request("PATCH", "/api/v1/flags/handheld", { percentage: 40 }, { scope: "write" })).status).toBe(200);
      const paused = await eventually(
        async () => (await server.request("GET", "/api/v1/flags/handheld/ramp")).body.ramp as RampRecord,
        (ramp) => ramp.status !== "running",
        "the pause",
      );
      expect(paused.status).toBe("paused");
      expect(paused.state.statusWhy).toMatch(/changed by hand \(by write-token\).*40 %/);
      const resumed = await server.request("POST", "/api/v1/flags/handheld/ramp/resume", {});
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect(await flagPercentage(server, "handheld")).toBe(1);
      const aborted = await server.request("POST", "/api/v1/flags/handheld/ramp/abort", {});
      expect(aborted.body.ramp.status).toBe("aborted");
      expect(await flagPercentage(server, "handheld")).toBe(0);
      expect((await server.request("POST", "/api/v1/flags/handheld/ramp/dismiss", {})).status).toBe(400);
    });
  });
}
