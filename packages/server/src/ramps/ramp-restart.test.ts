import type { RampRecord } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";
import { reportUntil, TrafficReporter } from "./test-traffic.js";

const MINUTE_MS = 250;
const PLAN = { steps: [1, 5, 25, 50, 100], minStep: "2m", maxStep: "30m", warmup: "1m" };
const HEALTHY = { requests: 1_000_000, baseErrorRate: 0.01, darkErrorRate: () => 0.01 };

function positions(ramp: RampRecord): number[] {
  return ramp.state.history.filter((e) => e.kind === "start" || e.kind === "advance").map((e) => e.target.percentage);
}

for (const factory of STORE_FACTORIES) {
  describe(`ramps across server processes (${factory.name})`, () => {
    it("continues a ramp where it was after the server is closed and started again", async (ctx) => {
      const store = await factory.create();
      if (!store) return ctx.skip();
      let server: TestServer = await startTestServer(store, { minuteMs: MINUTE_MS });
      try {
        expect((await server.request("POST", "/api/v1/flags", testFlag("restarted"))).status).toBe(201);
        expect((await server.request("POST", "/api/v1/flags/restarted/ramp", { plan: PLAN })).status).toBe(201);
        const reporter = new TrafficReporter("restarted", HEALTHY);
        const midway = await reportUntil(
          () => server,
          reporter,
          (ramp) => ramp.state.step >= 2,
        );
        expect(midway.status).toBe("running");
        await server.close();
        server = await startTestServer(store, { minuteMs: MINUTE_MS });
        const after = await server.request("GET", "/api/v1/flags/restarted/ramp");
        expect(after.body.ramp.state.step).toBeGreaterThanOrEqual(midway.state.step);
        const done = await reportUntil(
          () => server,
          reporter,
          (ramp) => ramp.status !== "running",
        );
        expect(done.status, done.state.statusWhy).toBe("completed");
        // One start, then each step once, in order: nothing began again after the restart.
        expect(positions(done)).toEqual([1, 5, 25, 50, 100]);
      } finally {
        await server.close();
        await store.drop();
      }
    });

    it.runIf(factory.name === "postgres")("runs a ramp on exactly one of two replicas sharing the database", async (ctx) => {
      const store = await factory.create();
      if (!store) return ctx.skip();
      const a = await startTestServer(store, { minuteMs: MINUTE_MS, replicaId: "replica-a" });
      const b = await startTestServer(store, { minuteMs: MINUTE_MS, replicaId: "replica-b" });
      try {
        expect((await a.request("POST", "/api/v1/flags", testFlag("shared"))).status).toBe(201);
        expect((await b.request("POST", "/api/v1/flags/shared/ramp", { plan: PLAN })).status).toBe(201);
        // Both replicas report and read; each runs its ramp runner on the same ramps table.
        let turn = 0;
        const done = await reportUntil(
          () => (turn++ % 2 === 0 ? a : b),
          new TrafficReporter("shared", HEALTHY),
          (ramp) => ramp.status !== "running",
        );
        expect(done.status, done.state.statusWhy).toBe("completed");
        expect(positions(done)).toEqual([1, 5, 25, 50, 100]);
        const { body } = await a.request("GET", "/api/v1/flags/shared/ramp/verdicts?limit=1000");
        const replicas = new Set((body.verdicts as { replica: string }[]).map((v) => v.replica));
        expect(body.verdicts.length).toBeGreaterThan(5);
        expect(replicas.size).toBe(1);
        // The audit log shows each step applied once.
        const audit = await a.request("GET", "/api/v1/flags/shared/audit?limit=200");
        const advances = (audit.body.entries as { action: string }[]).filter((e) => e.action === "ramp.advance");
        expect(advances).toHaveLength(4);
      } finally {
        await a.close();
        await b.close();
        await store.drop();
      }
    });
  });
}
