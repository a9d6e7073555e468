import { randomBytes } from "node:crypto";
import type { RampRecord } from "@darklaunch/core";
import type { MetricStats } from "@darklaunch/sdk";
import { verifySignature } from "@darklaunch/server";
import { killProcess, releaseFlag, STORE_FACTORIES, startServerProcess, TestReceiver, type TestStore } from "@darklaunch/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { apiAs, auditEntry, type Cleanup, serviceProcess, waitFor } from "./test-processes.js";

// Issue 13's scenario end to end with real processes: a server (short minutes, `minuteMs` 1000), a
// checkout service in its own process that gates its dark path with the SDK's `isEnabled` and calls
// `client.track("purchase", user)` when a visitor buys, and a real webhook receiver. The dark
// checkout sells to 5 % of visitors, the stable one to 12 %; both fail 1 % of requests with the same
// latencies, so only the business metric can tell them apart. The ramp must roll back and page once.

const MINUTE_MS = 1_000;
const ADMIN = `dl_admin_${randomBytes(16).toString("hex")}`;
const FLAG = "one-click-checkout";
const METRIC = "checkout_conversion";
/** The deadline for the ramp to end. */
const RAMP_DEADLINE_MS = 45_000;
const PLAN = { steps: [50, 100], minStep: "3m", maxStep: "60m", warmup: "1m" };

const cleanup: Cleanup = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
});

const api = (base: string, method: string, path: string, body?: unknown) => apiAs(ADMIN, base, method, path, body);

/**
 * The checkout service: each `GET /checkout?user=…` is one visit of a new user, served the dark or
 * the stable checkout as `isEnabled` says; a visit that buys is tracked. Its request outcomes go to
 * the SDK's observations (split mode), so the judge sees errors and latency too. `GET /stats` answers
 * `metricStats()`. It is given no minute: the client learns the server's from its first answers.
 */
async function checkoutService(control: string, token: string): Promise<string> {
  const script = `
    import { createServer } from "node:http";
    import { createClient } from "@darklaunch/sdk";
    const flag = ${JSON.stringify(FLAG)};
    const client = createClient({ url: ${JSON.stringify(control)}, token: ${JSON.stringify(token)}, telemetry: false,
      observations: { flushIntervalMs: 250 } });
    await client.ready();
    // Loads the metric definitions, then reports the (empty) windows of its first minute.
    await client.flushMetrics();
    await client.flushMetrics();
    const server = createServer((request, response) => {
      const url = new URL(request.url, "http://service");
      if (url.pathname === "/stats") return response.end(JSON.stringify(client.metricStats()));
      const user = { id: url.searchParams.get("user") };
      const dark = client.isEnabled(flag, user);
      const failed = Math.random() < 0.01;
      const bought = !failed && Math.random() < (dark ? 0.05 : 0.12);
      if (bought) client.track("purchase", user);
      client.observations.recordRequest({ flag, route: "GET /checkout", side: dark ? "dark" : "baseline",
        latencyMs: 5 + Math.random() * 20, error: failed });
      response.writeHead(failed ? 503 : 200).end(bought ? "bought" : "browsed");
    });
  `;
  return (await serviceProcess(script, "the checkout service", cleanup)).url;
}

/** Sends visits of new users (8 at once) until the ramp, polled every 200 ms, is no longer running. */
async function visitUntilEnded(service: string, control: string): Promise<{ ramp: RampRecord; visits: number }> {
  const deadline = Date.now() + RAMP_DEADLINE_MS;
  let stop = false;
  let visits = 0;
  const worker = async () => {
    while (!stop) {
      const response = await fetch(`${service}/checkout?user=user-${visits++}`);
      await response.arrayBuffer();
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  let last: RampRecord | undefined;
  try {
    while (Date.now() < deadline) {
      last = (await api(control, "GET", `/api/v1/flags/${FLAG}/ramp`)).body.ramp as RampRecord;
      if (last.status !== "running") return { ramp: last, visits };
      if (process.env.E2E_DEBUG) console.log(visits, last.state.target.percentage, last.state.lastVerdict?.why);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    stop = true;
    await Promise.all(workers);
  }
  throw new Error(`after ${visits} visits the ramp is ${last?.status} at step ${last?.state.step}: ${last?.state.lastVerdict?.why}`);
}

async function server(store: TestStore): Promise<string> {
  const started = await startServerProcess({ ...store.options, adminToken: ADMIN, minuteMs: MINUTE_MS, allowPrivateWebhookTargets: true });
  cleanup.push(() => killProcess(started.child));
  return started.url;
}

for (const factory of STORE_FACTORIES) {
  describe(`business metrics end to end with real processes (${factory.name})`, () => {
    it("rolls back a ramp whose dark checkout converts worse (5 % vs 12 %, errors alike) and pages a real receiver once, signed, naming the metric", async (ctx) => {
      const store = await factory.create();
      if (!store) return ctx.skip("no Postgres");
      cleanup.push(() => store.drop());
      const control = await server(store);
      const token = (await api(control, "POST", "/api/v1/tokens", { name: "checkout", scope: "sdk" })).body.secret as string;
      const flag = await api(control, "POST", "/api/v1/flags", releaseFlag(FLAG, 0));
      expect(flag.status, JSON.stringify(flag.body)).toBe(201);
      const metric = await api(control, "POST", `/api/v1/flags/${FLAG}/metrics`, {
        key: METRIC,
        event: "purchase",
        kind: "conversion",
        direction: "up",
        tolerance: 0.02,
        critical: true,
      });
      expect(metric.status, JSON.stringify(metric.body)).toBe(201);
      const receiver = await TestReceiver.start();
      cleanup.push(() => receiver.close());
      const destination = await api(control, "POST", "/api/v1/alerts/destinations", {
        url: `${receiver.url}/pages`,
        flag: FLAG,
        severities: ["page"],
      });
      expect(destination.status, JSON.stringify(destination.body)).toBe(201);
      const service = await checkoutService(control, token);

      const started = await api(control, "POST", `/api/v1/flags/${FLAG}/ramp`, { plan: PLAN });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body.ramp.id as string;
      const t0 = Date.now();
      const { ramp, visits } = await visitUntilEnded(service, control);
      console.log(
        `business ramp (${factory.name}) ended ${ramp.status} after ${visits} visits in ${Date.now() - t0} ms: ${ramp.state.statusWhy}`,
      );
      expect(ramp.status, ramp.state.statusWhy).toBe("rolled_back");
      expect(ramp.state.statusWhy).toMatch(/checkout_conversion|checkout conversion/);
      expect(ramp.state.statusWhy).not.toMatch(/\berrors\b.*≥|latency/);

      const stats = (await (await fetch(`${service}/stats`)).json()) as MetricStats;
      expect(stats.trackedEvents).toBeGreaterThan(0);
      expect(stats.sentWindows).toBeGreaterThan(0);

      const rollback = await auditEntry(ADMIN, control, FLAG, "ramp.rollback");
      expect(rollback.actor).toBe(`ramp:${id}`);

      const deliveries = await waitFor(
        "the page's delivery",
        async () => (await api(control, "GET", `/api/v1/alerts/deliveries?flag=${FLAG}`)).body.deliveries as { status: string }[],
        (d) => d.length > 0 && d.every((x) => x.status !== "pending"),
      );
      expect(deliveries.map((d) => d.status)).toEqual(["delivered"]);
      const pages = receiver.at("/pages");
      expect(pages).toHaveLength(1);
      const page = pages[0];
      expect(verifySignature(destination.body.secret, page?.body ?? "", String(page?.headers["x-darklaunch-signature"]))).toBe(true);
      const alert = JSON.parse(page?.body ?? "{}").alert;
      expect(alert).toMatchObject({ kind: "verdict", flag: FLAG, severity: "page", state: "REGRESSION" });
      expect(alert.why).toMatch(/checkout_conversion|checkout conversion/);
    }, 90_000);
  });
}
