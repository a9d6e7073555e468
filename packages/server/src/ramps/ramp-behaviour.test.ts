import type { RampRecord } from "@darklaunch/core";
import type { TestReceiver } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag } from "../test-support.js";
import { eventually, reportUntil, TrafficReporter, type TrafficSpec, useRampTestServer } from "./test-traffic.js";

// A ramp's minute is 250 ms: a whole step passes in a second or two.
const MINUTE_MS = 250;
/**
 * The trending test needs several verdicts while the evidence sits between half its threshold and the
 * threshold (about five minutes): at 250 ms a loaded machine can let that pass between two passes of
 * the runner, so its ramp runs on one-second minutes.
 */
const TRENDING_MINUTE_MS = 1_000;
const QUIET = { requests: 20, baseErrorRate: 0, darkErrorRate: () => 0 };

interface Alert {
  kind: string;
  severity: string;
  state: string;
  why: string;
}

function events(ramp: RampRecord, kind: string) {
  return ramp.state.history.filter((e) => e.kind === kind);
}

for (const factory of STORE_FACTORIES) {
  describe(`what a ramp does with each verdict (${factory.name})`, () => {
    let t: TestServer | undefined;
    let receiver: TestReceiver;
    useRampTestServer(factory, MINUTE_MS, (server, started) => {
      t = server;
      receiver = started;
    });

    /** A flag with a ticket destination of its own on the receiver; its alerts arrive at `/<store>/<flag>`. */
    async function flagWithTickets(server: TestServer, key: string, at: TestReceiver = receiver): Promise<string> {
      expect((await server.request("POST", "/api/v1/flags", testFlag(key))).status).toBe(201);
      const path = `/${factory.name}/${key}`;
      const destination = await server.request("POST", "/api/v1/alerts/destinations", {
        url: `${at.url}${path}`,
        flag: key,
        severities: ["ticket"],
      });
      expect(destination.status, JSON.stringify(destination.body)).toBe(201);
      return path;
    }

    /** The alerts delivered to `path` once no delivery of the flag is pending. */
    async function delivered(server: TestServer, key: string, path: string, at: TestReceiver = receiver): Promise<Alert[]> {
      await eventually(
        async () => (await server.request("GET", `/api/v1/alerts/deliveries?flag=${key}`)).body.deliveries as { status: string }[],
        (list) => list.every((d) => d.status !== "pending"),
        "no pending delivery",
      );
      return at.at(path).map((r) => JSON.parse(r.body).alert as Alert);
    }

    /** Reports traffic until the ramp has judged `more` minutes beyond those judged so far, then answers the ramp. */
    async function judgedFurther(server: TestServer, reporter: TrafficReporter, key: string, more: number): Promise<RampRecord> {
      const count = async () =>
        (await server.request("GET", `/api/v1/flags/${key}/ramp/verdicts?limit=1000`)).body.verdicts.length as number;
      const target = (await count()) + more;
      const deadline = Date.now() + 60_000;
      while ((await count()) < target) {
        if (Date.now() > deadline) throw new Error(`the ramp of ${key} did not judge ${more} more minutes in time`);
        await reporter.report(server);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return reporter.report(server);
    }

    it("INSUFFICIENT: holds, extends the step once past its maximum, then sends one ticket with the state and why", {
      timeout: 90_000,
    }, async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      const path = await flagWithTickets(server, "sparse");
      const plan = { steps: [5, 25], minStep: "1m", maxStep: "2m", warmup: "1m" };
      expect((await server.request("POST", "/api/v1/flags/sparse/ramp", { plan })).status).toBe(201);
      const reporter = new TrafficReporter("sparse", QUIET);
      const alerted = await reportUntil(
        () => server,
        reporter,
        (ramp) => events(ramp, "alert").length > 0,
      );
      expect(alerted.status).toBe("running");
      expect(alerted.state.step).toBe(0);
      const [extend] = events(alerted, "extend");
      expect(extend?.why).toMatch(/not enough evidence .*the step is extended once, to 4 minutes/);
      const [alert] = events(alerted, "alert");
      expect(alert?.at).toBeGreaterThan(extend?.at ?? Number.POSITIVE_INFINITY);
      expect(alert?.why).toMatch(/still not enough evidence .*extended once already: holding/);

      // More minutes of the same: the ramp keeps holding and alerts no more.
      const later = await judgedFurther(server, reporter, "sparse", 4);
      expect(later.status).toBe("running");
      expect(later.state.step).toBe(0);
      expect(events(later, "alert")).toHaveLength(1);
      expect(events(later, "extend")).toHaveLength(1);
      const alerts = await delivered(server, "sparse", path);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: "verdict", severity: "ticket", state: "INSUFFICIENT" });
      expect(alerts[0]?.why).toMatch(/extended once already/);
    });

    it("UNHEALTHY (sample-ratio mismatch): holds the step past its maximum, says why, and sends one ticket", {
      timeout: 90_000,
    }, async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      const path = await flagWithTickets(server, "skewed");
      const plan = { steps: [5, 25], minStep: "1m", maxStep: "2m", warmup: "1m" };
      expect((await server.request("POST", "/api/v1/flags/skewed/ramp", { plan })).status).toBe(201);
      // Dark gets three times its share: the split is not what the flag says.
      const spec: TrafficSpec = { requests: 100_000, baseErrorRate: 0.01, darkErrorRate: () => 0.01, darkShare: (target) => 3 * target };
      const reporter = new TrafficReporter("skewed", spec);
      const alerted = await reportUntil(
        () => server,
        reporter,
        (ramp) => events(ramp, "alert").length > 0,
      );
      expect(alerted.state.lastVerdict?.state).toBe("UNHEALTHY");
      expect(events(alerted, "alert")[0]?.why).toMatch(/sample-ratio mismatch.*the evidence cannot be trusted: holding/);
      const later = await judgedFurther(server, reporter, "skewed", 12);
      expect(later.status).toBe("running");
      expect(later.state.step).toBe(0);
      expect(later.state.target.percentage).toBe(5);
      expect(events(later, "advance")).toEqual([]);
      expect(events(later, "alert")).toHaveLength(1);
      const verdict = await server.request("GET", "/api/v1/flags/skewed/verdict", undefined, { scope: "read" });
      expect(verdict.body).toMatchObject({ state: "UNHEALTHY", ok: false });
      expect(verdict.body.why).toMatch(/sample-ratio mismatch/);
      const alerts = await delivered(server, "skewed", path);
      expect(alerts.filter((a) => a.kind === "verdict")).toHaveLength(1);
      expect(alerts.find((a) => a.kind === "verdict")).toMatchObject({ severity: "ticket", state: "UNHEALTHY" });
    });

    it("UNHEALTHY (missing minutes): when the reporters stop, holds the step, says how many minutes are missing, and sends one ticket", {
      timeout: 90_000,
    }, async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      const path = await flagWithTickets(server, "silent");
      const plan = { steps: [5, 25], minStep: "1m", maxStep: "60m", warmup: "1m" };
      expect((await server.request("POST", "/api/v1/flags/silent/ramp", { plan })).status).toBe(201);
      // A baseline that never errs cannot prove dark safe: the reported minutes stay INSUFFICIENT.
      const reporter = new TrafficReporter("silent", { requests: 200, baseErrorRate: 0, darkErrorRate: () => 0 });
      const reporting = await judgedFurther(server, reporter, "silent", 3);
      expect(reporting.state.lastVerdict?.state).toBe("INSUFFICIENT");
      expect(events(reporting, "alert")).toEqual([]);
      // The reporters stop: nothing is posted from here on, the ramp is only read.
      const read = async () => (await server.request("GET", "/api/v1/flags/silent/ramp")).body.ramp as RampRecord;
      const alerted = await eventually(read, (ramp) => events(ramp, "alert").length > 0, "an alert of the ramp of silent");
      expect(alerted.state.lastVerdict?.state).toBe("UNHEALTHY");
      expect(events(alerted, "alert")[0]?.why).toMatch(/no observations for the last \d+ minutes \(limit 5\).*holding/);
      const verdicts = async () =>
        (await server.request("GET", "/api/v1/flags/silent/ramp/verdicts?limit=1000")).body.verdicts as { state: string }[];
      const judged = (await verdicts()).length;
      // Many more silent minutes: still held at its step, and no second alert.
      await eventually(verdicts, (list) => list.length >= judged + 8, "8 more judged minutes of silent");
      const later = await read();
      expect(later.status).toBe("running");
      expect(later.state.step).toBe(0);
      expect(later.state.target.percentage).toBe(5);
      expect(events(later, "advance")).toEqual([]);
      expect(events(later, "rollback")).toEqual([]);
      expect(events(later, "alert")).toHaveLength(1);
      expect(later.state.lastVerdict?.state).toBe("UNHEALTHY");
      const verdict = await server.request("GET", "/api/v1/flags/silent/verdict", undefined, { scope: "read" });
      expect(verdict.body).toMatchObject({ state: "UNHEALTHY", ok: false });
      expect(verdict.body.why).toMatch(/no observations for the last \d+ minutes/);
      expect(verdict.body.health.gap.exceeded).toBe(true);
      const alerts = await delivered(server, "silent", path);
      expect(alerts.filter((a) => a.kind === "verdict")).toHaveLength(1);
      expect(alerts.find((a) => a.kind === "verdict")).toMatchObject({ severity: "ticket", state: "UNHEALTHY" });
      expect(alerts.find((a) => a.kind === "verdict")?.why).toMatch(/no observations for the last \d+ minutes/);
    });

    it("a disabled flag: the ramp start is refused (409 naming how to go on) and nothing is written; once on, the ramp runs; switched off mid-ramp, it pauses and cannot resume until on again", {
      timeout: 90_000,
    }, async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      expect((await server.request("POST", "/api/v1/flags", testFlag("switched-off", { enabled: false }))).status).toBe(201);
      const plan = { steps: [5, 25], minStep: "1m", maxStep: "60m", warmup: "1m" };
      const refused = await server.request("POST", "/api/v1/flags/switched-off/ramp", { plan });
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.code).toBe("FLAG_DISABLED");
      expect(refused.body.message).toMatch(
        /^flag "switched-off" is off: turn it on first \(PATCH \/api\/v1\/flags\/switched-off \{"enabled": true\}.*then start a ramp on it$/,
      );
      expect((await server.request("GET", "/api/v1/flags/switched-off/ramp")).status).toBe(404);
      const flag = await server.request("GET", "/api/v1/flags/switched-off");
      expect(flag.body).toMatchObject({ version: 1, enabled: false });
      const audit = async () =>
        (await server.request("GET", "/api/v1/flags/switched-off/audit?limit=100")).body.entries as { action: string; actor: string }[];
      expect((await audit()).map((e) => e.action)).toEqual(["flag.create"]);

      expect((await server.request("PATCH", "/api/v1/flags/switched-off", { enabled: true })).status).toBe(200);
      expect((await server.request("POST", "/api/v1/flags/switched-off/ramp", { plan })).status).toBe(201);
      const reporter = new TrafficReporter("switched-off", QUIET);
      const running = await judgedFurther(server, reporter, "switched-off", 3);
      expect(running.status).toBe("running");
      expect(events(running, "pause")).toEqual([]);

      // Switched off by hand mid-ramp: a manual change, the ramp pauses; resuming while off is refused.
      expect((await server.request("PATCH", "/api/v1/flags/switched-off", { enabled: false })).status).toBe(200);
      const paused = await eventually(
        async () => (await server.request("GET", "/api/v1/flags/switched-off/ramp")).body.ramp as RampRecord,
        (ramp) => ramp.status === "paused",
        "the ramp of switched-off paused",
      );
      expect(paused.state.statusWhy).toMatch(/changed by hand .* to 0 % .*the ramp is paused/);
      const resumeOff = await server.request("POST", "/api/v1/flags/switched-off/ramp/resume", {});
      expect(resumeOff.status).toBe(409);
      expect(resumeOff.body.message).toMatch(/is off: turn it on first .*then resume its ramp$/);
      expect((await server.request("GET", "/api/v1/flags/switched-off/ramp")).body.ramp.status).toBe("paused");
      expect((await server.request("PATCH", "/api/v1/flags/switched-off", { enabled: true })).status).toBe(200);
      const resumed = await server.request("POST", "/api/v1/flags/switched-off/ramp/resume", {});
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect(resumed.body.ramp.status).toBe("running");
      const after = await judgedFurther(server, reporter, "switched-off", 2);
      expect(after.status).toBe("running");
      expect(events(after, "manual-change")).toHaveLength(1);
      expect(events(after, "resume")).toHaveLength(1);
    });

    it("dismiss: a REGRESSION on a metric that is not critical is dismissed with a reason, audited, and the ramp goes on without acting on it again", {
      timeout: 90_000,
    }, async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      const path = await flagWithTickets(server, "dismissed");
      // Errors are watched but not critical for this flag: their regression holds and files a ticket.
      expect((await server.request("PUT", "/api/v1/flags/dismissed/judge", { critical: ["latencyP99"] })).status).toBe(200);
      const plan = { steps: [1, 5, 25], minStep: "1m", maxStep: "3m", warmup: "1m", onInconclusive: "advance" };
      expect((await server.request("POST", "/api/v1/flags/dismissed/ramp", { plan })).status).toBe(201);
      const reporter = new TrafficReporter("dismissed", { requests: 1_000_000, baseErrorRate: 0.01, darkErrorRate: () => 0.03 });
      const held = await reportUntil(
        () => server,
        reporter,
        (ramp) => events(ramp, "alert").length > 0,
      );
      expect(held.status).toBe("running");
      expect(held.state.lastVerdict).toMatchObject({ state: "REGRESSION", criticalHarm: false, crossed: ["errors"] });
      expect(events(held, "alert")[0]?.why).toMatch(/not critical: holding/);

      expect((await server.request("POST", "/api/v1/flags/dismissed/ramp/dismiss", {})).status).toBe(400);
      const dismissed = await server.request("POST", "/api/v1/flags/dismissed/ramp/dismiss", { reason: "dark counts 404s as errors" });
      expect(dismissed.status, JSON.stringify(dismissed.body)).toBe(200);
      expect(events(dismissed.body.ramp, "dismiss")[0]?.why).toMatch(/^REGRESSION \(errors\) dismissed by .*: dark counts 404s as errors/);

      const done = await reportUntil(
        () => server,
        reporter,
        (ramp) => ramp.status !== "running",
      );
      expect(done.status, done.state.statusWhy).toBe("completed");
      expect(events(done, "advance").map((e) => e.target.percentage)).toEqual([5, 25]);
      expect(events(done, "advance")[0]?.why).toMatch(/REGRESSION dismissed: dark counts 404s as errors/);
      expect(events(done, "rollback")).toEqual([]);
      // The regression persisted on every later step, yet never alerted or held again.
      expect(events(done, "alert")).toHaveLength(1);
      const audit = await server.request("GET", "/api/v1/flags/dismissed/audit?limit=100");
      const entry = (audit.body.entries as { action: string; actor: string; after: { why: string } }[]).find(
        (e) => e.action === "ramp.dismiss",
      );
      expect(entry?.after.why).toMatch(/dismissed by .*dark counts 404s as errors/);
      const alerts = await delivered(server, "dismissed", path);
      expect(alerts.filter((a) => a.kind === "verdict").map((a) => a.state)).toEqual(["REGRESSION"]);
    });

    describe("on one-second minutes", () => {
      let slow: TestServer | undefined;
      let slowReceiver: TestReceiver;
      useRampTestServer(factory, TRENDING_MINUTE_MS, (server, started) => {
        slow = server;
        slowReceiver = started;
      });

      it("trending: one ticket when the errors' harm e-value passes half its threshold, however many minutes it stays there", {
        timeout: 150_000,
      }, async (ctx) => {
        if (!slow) return ctx.skip();
        const server = slow;
        const path = await flagWithTickets(server, "trending", slowReceiver);
        const plan = { steps: [5, 25], minStep: "1m", maxStep: "60m", warmup: "1m" };
        expect((await server.request("POST", "/api/v1/flags/trending/ramp", { plan })).status).toBe(201);
        // 1.3× the base's errors at 1 000 dark requests a minute: the evidence grows about 15 % a minute.
        const reporter = new TrafficReporter("trending", { requests: 20_000, baseErrorRate: 0.01, darkErrorRate: () => 0.013 });
        const done = await reportUntil(
          () => server,
          reporter,
          (ramp) => ramp.status !== "running",
          120_000,
        );
        expect(done.status, done.state.statusWhy).toBe("rolled_back");
        const verdicts = (await server.request("GET", "/api/v1/flags/trending/ramp/verdicts?limit=1000")).body.verdicts as {
          state: string;
          verdict: { metrics: { metric: string; harm: { e: number; threshold: number; crossed: boolean } }[] };
        }[];
        const inBand = verdicts.filter((v) => {
          const errors = v.verdict.metrics.find((m) => m.metric === "errors");
          return v.state !== "REGRESSION" && errors !== undefined && !errors.harm.crossed && errors.harm.e >= errors.harm.threshold / 2;
        });
        // Several minutes between half the threshold and the threshold: the de-duplication was needed.
        expect(inBand.length).toBeGreaterThanOrEqual(2);
        const trending = (await delivered(server, "trending", path, slowReceiver)).filter((a) => a.kind === "trending");
        expect(trending).toHaveLength(1);
        expect(trending[0]).toMatchObject({ severity: "ticket" });
        expect(trending[0]?.why).toMatch(/^errors: harm evidence .* passed half its threshold/);
      });
    });
  });
}
