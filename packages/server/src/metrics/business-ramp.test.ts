import { MetricCounter, type RampRecord } from "@darklaunch/core";
import type { TestReceiver } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { dataMinuteOf, RampClock } from "../ramps/ramp-clock.js";
import { reportUntil, TrafficReporter, useRampTestServer } from "../ramps/test-traffic.js";
import { STORE_FACTORIES, type TestServer, testFlag } from "../test-support.js";

const MINUTE_MS = 250;
const PLAN = { steps: [5, 25, 50, 100], minStep: "2m", maxStep: "30m", warmup: "1m" };
/** Errors alike on both sides: only the business metric can tell the arms apart. */
const HEALTHY = { requests: 100_000, baseErrorRate: 0.01, darkErrorRate: () => 0.01 };
const SUBJECTS_PER_MINUTE = 4_000;

/**
 * Posts the metric and exposure windows SDKs would for every complete data minute of the ramp:
 * distinct subjects split as the ramp had the flag, dark converting at half the baseline's rate.
 */
class ConversionReporter {
  private next: number | undefined;

  constructor(
    private readonly flag: string,
    private readonly baseRate: number,
    private readonly darkRate: number,
  ) {}

  async report(server: TestServer, ramp: RampRecord): Promise<void> {
    const clock = new RampClock(ramp);
    // Short minutes: periods of ramp.minuteMs stamped with their real start, as SDKs do; the server
    // stores each at its ramp minute.
    const period = ramp.minuteMs;
    this.next ??= Math.floor(Date.parse(ramp.startedAt) / period) * period;
    const counter = new MetricCounter();
    counter.minuteMs = period;
    for (let n = 0; this.next + 2 * period <= Date.now() && n < 50; n++, this.next += period) {
      const share = clock.shareAt(new Date(dataMinuteOf(clock, this.next)).toISOString()) ?? 0;
      const dark = Math.round(SUBJECTS_PER_MINUTE * share);
      for (let i = 0; i < SUBJECTS_PER_MINUTE; i++) {
        const onDark = i < dark;
        const variant = onDark ? "on" : "off";
        const subject = `${this.next}-${i}`;
        counter.expose(this.flag, variant, subject, this.next);
        const armIndex = onDark ? i : i - dark;
        const every = Math.round(1 / (onDark ? this.darkRate : this.baseRate));
        if (armIndex % every === 0)
          counter.track({ flag: this.flag, metric: "checkout_conversion", variant, subject }, undefined, this.next);
      }
    }
    if (counter.size === 0) return;
    const posted = await server.request("POST", "/api/v1/sdk/metrics", counter.drain(), { scope: "sdk" });
    if (posted.status !== 202) throw new Error(`POST sdk/metrics answered ${posted.status}: ${JSON.stringify(posted.body)}`);
  }
}

/** Healthy request traffic, and the conversions of the same minutes. */
class TrafficWithConversions extends TrafficReporter {
  constructor(
    flag: string,
    spec: ConstructorParameters<typeof TrafficReporter>[1],
    private readonly conversions: ConversionReporter,
  ) {
    super(flag, spec);
  }

  override async report(server: TestServer): Promise<RampRecord> {
    const ramp = await super.report(server);
    await this.conversions.report(server, ramp);
    return ramp;
  }
}

for (const factory of STORE_FACTORIES) {
  describe(`a ramp judged on a business metric (${factory.name})`, () => {
    let t: TestServer | undefined;
    let receiver: TestReceiver;
    useRampTestServer(factory, MINUTE_MS, (server, started) => {
      t = server;
      receiver = started;
    });

    it("rolls back a dark that converts worse (errors alike) and pages with the metric in the why", { timeout: 120_000 }, async (ctx) => {
      if (!t) return ctx.skip();
      const server = t;
      expect((await server.request("POST", "/api/v1/flags", testFlag("one-click"))).status).toBe(201);
      const metric = await server.request("POST", "/api/v1/flags/one-click/metrics", {
        key: "checkout_conversion",
        event: "purchase",
        kind: "conversion",
        direction: "up",
        tolerance: 0.02,
        critical: true,
      });
      expect(metric.status).toBe(201);
      const destination = await server.request("POST", "/api/v1/alerts/destinations", {
        url: `${receiver.url}/${factory.name}`,
        flag: "one-click",
        severities: ["page"],
      });
      expect(destination.status).toBe(201);
      expect((await server.request("POST", "/api/v1/flags/one-click/ramp", { plan: PLAN })).status).toBe(201);

      const done = await reportUntil(
        () => server,
        new TrafficWithConversions("one-click", HEALTHY, new ConversionReporter("one-click", 0.1, 0.05)),
        (ramp) => ramp.status !== "running",
        100_000,
      );
      expect(done.status, done.state.statusWhy).toBe("rolled_back");
      expect(done.state.statusWhy).toMatch(/checkout_conversion|checkout conversion/);

      const deadline = Date.now() + 30_000;
      while (receiver.at(`/${factory.name}`).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const [page] = receiver.at(`/${factory.name}`);
      const alert = JSON.parse(page?.body ?? "{}").alert;
      expect(alert).toMatchObject({ kind: "verdict", flag: "one-click", severity: "page", state: "REGRESSION" });
      expect(alert.why).toMatch(/checkout_conversion|checkout conversion/);
    });
  });
}
