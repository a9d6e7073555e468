import { TestReceiver } from "@darklaunch/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";
import { DELIVERY_HEADER, SIGNATURE_HEADER, verifySignature } from "./webhook-signature.js";

/** Retry waits asked for, in order: the injected wait records them and returns at once (no sleeps). */
const waits: number[] = [];

const alertOptions = {
  allowPrivateWebhookTargets: true,
  alerts: {
    retry: { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 3_000, timeoutMs: 5_000 },
    wait: async (ms: number) => {
      waits.push(ms);
    },
    random: () => 0.5,
  },
};

const regression = (flag: string, extra: Record<string, unknown> = {}) => ({
  kind: "verdict",
  flag,
  severity: "page",
  state: "REGRESSION",
  why: "dark errors 2.1 % vs 1.0 % on 2 480 paired requests; evidence 41 ≥ 40 → rollback",
  numbers: { darkErrorRate: 0.021, baseErrorRate: 0.01, eValue: 41, threshold: 40 },
  evidence: { metric: "errors", test: "paired-sign", steps: [1, 5] },
  ...extra,
});

describe.each(STORE_FACTORIES)("alerts on $name", (factory) => {
  let t: TestServer | undefined;
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
  });
  useTestServer(
    factory,
    async (server) => {
      t = server;
      if (!t) return;
      for (const key of ["checkout", "search", "billing", "slacky", "flaky", "quiet"])
        await t.request("POST", "/api/v1/flags", testFlag(key));
    },
    alertOptions,
  );

  /** Paths of this suite on the shared receiver. */
  const at = (name: string) => `/${factory.name}/${name}`;
  const create = async (body: Record<string, unknown>) => {
    const response = await t!.request("POST", "/api/v1/alerts/destinations", body, { scope: "write" });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as { destination: { id: string; url: string }; secret: string };
  };

  it("creates a destination, shows the secret once, lists without it, audits the write", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const { destination, secret } = await create({ name: "ops", url: `${receiver.url}${at("created")}` });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(destination).toMatchObject({ name: "ops", flag: null, severities: ["page", "ticket"], format: "json" });
    const listed = await t.request("GET", "/api/v1/alerts/destinations", undefined, { scope: "read" });
    expect(listed.body.destinations.map((d: { id: string }) => d.id)).toContain(destination.id);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const audit = await t.request("GET", `/api/v1/audit?targetType=alert-destination&target=${destination.id}`);
    expect(audit.body.entries[0]).toMatchObject({ action: "alert-destination.create", actor: "write-token" });
    expect(JSON.stringify(audit.body)).not.toContain(secret);

    const removed = await t.request("DELETE", `/api/v1/alerts/destinations/${destination.id}`, undefined, { scope: "write" });
    expect(removed.status).toBe(200);
    expect((await t.request("DELETE", `/api/v1/alerts/destinations/${destination.id}`)).status).toBe(404);
    const after = await t.request("GET", `/api/v1/audit?targetType=alert-destination&target=${destination.id}`);
    expect(after.body.entries[0]).toMatchObject({ action: "alert-destination.delete" });
  });

  it.for([
    [{ url: "ftp://example.com/hook" }, "url", /http or https/],
    [{ url: "not a url" }, "url", /absolute http or https URL/],
    [{ url: "https://user:pw@example.com/" }, "url", /user name or password/],
    [{}, "url", /is required/],
    [{ url: "https://example.com/", severities: ["urgent"] }, "severities[0]", /page, ticket/],
    [{ url: "https://example.com/", severities: [] }, "severities", /at least one/],
    [{ url: "https://example.com/", format: "teams" }, "format", /json, slack/],
    [{ url: "https://example.com/", flag: "no-such-flag" }, "flag", /does not exist/],
    [{ url: "https://example.com/", colour: "red" }, "", /colour/],
  ] as const)("refuses %j naming %s", async ([body, path, message], ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const response = await t.request("POST", "/api/v1/alerts/destinations", body);
    expect(response.status).toBe(400);
    const detail = response.body.details.find((d: { path: string }) => d.path === path) ?? response.body.details[0];
    expect(detail.path).toBe(path);
    expect(detail.message).toMatch(message);
  });

  it("sends a signed test alert and answers with its outcome", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const { destination, secret } = await create({ url: `${receiver.url}${at("test-route")}`, flag: "quiet" });
    const response = await t.request("POST", `/api/v1/alerts/destinations/${destination.id}/test`, undefined, { scope: "write" });
    expect(response.status).toBe(200);
    const { delivery } = response.body;
    expect(delivery).toMatchObject({ kind: "test", status: "delivered", attempts: 1, lastStatusCode: 200, flag: null });
    const [got] = receiver.at(at("test-route"));
    expect(got).toBeDefined();
    expect(got!.headers[DELIVERY_HEADER]).toBe(delivery.id);
    expect(verifySignature(secret, got!.body, String(got!.headers[SIGNATURE_HEADER]))).toBe(true);
    expect(verifySignature("whsec_wrong", got!.body, String(got!.headers[SIGNATURE_HEADER]))).toBe(false);
    expect(verifySignature(secret, `${got!.body} `, String(got!.headers[SIGNATURE_HEADER]))).toBe(false);
    const body = JSON.parse(got!.body);
    expect(body).toMatchObject({ type: "darklaunch.alert", id: delivery.id, alert: { kind: "test", state: "TEST" } });

    receiver.script(at("test-route"), [503]);
    const failed = await t.request("POST", `/api/v1/alerts/destinations/${destination.id}/test`);
    expect(failed.body.delivery).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 503, lastError: "answered 503" });
    expect((await t.request("POST", "/api/v1/alerts/destinations/whd_missing/test")).status).toBe(404);
  });

  it("retries 500, 500, 200 with capped full-jitter backoff; the log shows three attempts", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const { destination, secret } = await create({ url: `${receiver.url}${at("flaky")}`, flag: "flaky" });
    receiver.script(at("flaky"), [500, 500, 200]);
    waits.length = 0;
    const result = await t.server.context.alerts.notify(regression("flaky"));
    expect(result.deliveries).toHaveLength(1);
    const deliveryId = result.deliveries[0]!.deliveryId;
    const settled = await t.server.context.alerts.settled(deliveryId);
    expect(settled).toMatchObject({ status: "delivered", attempts: 3, lastStatusCode: 200, lastError: null });
    expect(settled.log.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(settled.log.map((a) => a.error)).toEqual(["answered 500", "answered 500", null]);
    // random() = 0.5: half of min(max 3 000, base 1 000 · 2^(n−1)).
    expect(waits).toEqual([500, 1_000]);

    const attempts = receiver.at(at("flaky"));
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) {
      expect(attempt.headers[DELIVERY_HEADER]).toBe(deliveryId);
      expect(verifySignature(secret, attempt.body, String(attempt.headers[SIGNATURE_HEADER]))).toBe(true);
    }
    const body = JSON.parse(attempts[0]!.body);
    expect(body.alert).toMatchObject({ kind: "verdict", flag: "flaky", severity: "page", state: "REGRESSION" });
    expect(body.alert.evidence).toEqual({ metric: "errors", test: "paired-sign", steps: [1, 5] });

    const log = await t.request("GET", `/api/v1/alerts/deliveries?destination=${destination.id}`, undefined, { scope: "read" });
    expect(log.body.deliveries).toHaveLength(1);
    expect(log.body.deliveries[0].log.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
  });

  it("gives up after the last attempt, and does not retry an answer a retry cannot change", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await create({ url: `${receiver.url}${at("down")}`, flag: "billing", severities: ["ticket"] });
    receiver.script(at("down"), [500, 502, 503, 500, 500]);
    const down = await t.server.context.alerts.notify(regression("billing", { severity: "ticket", state: "UNHEALTHY" }));
    const given = await t.server.context.alerts.settled(down.deliveries[0]!.deliveryId);
    expect(given).toMatchObject({ status: "failed", attempts: 4, lastStatusCode: 500 });
    expect(receiver.at(at("down"))).toHaveLength(4);

    receiver.script(at("down"), [400]);
    const refused = await t.server.context.alerts.notify(regression("billing", { severity: "ticket", state: "INSUFFICIENT" }));
    const once = await t.server.context.alerts.settled(refused.deliveries[0]!.deliveryId);
    expect(once).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 400 });
  });

  it("sends an alert with the same de-duplication key once; severity and flag choose destinations", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const pages = await create({ url: `${receiver.url}${at("pages")}`, flag: "checkout", severities: ["page"] });
    const alerts = t.server.context.alerts;
    const first = await alerts.notify(regression("checkout"));
    expect(first.deliveries.map((d) => d.destinationId)).toEqual([pages.destination.id]);
    const again = await alerts.notify(regression("checkout"));
    expect(again).toEqual({ deliveries: [], deduplicated: [pages.destination.id] });
    const explicit = await alerts.notify(regression("checkout", { dedupKey: "ramp-7-step-3" }));
    expect(explicit.deliveries).toHaveLength(1);
    expect((await alerts.notify(regression("checkout", { dedupKey: "ramp-7-step-3" }))).deliveries).toHaveLength(0);
    // A ticket is not a page; another flag's alert does not reach a destination of this flag.
    expect((await alerts.notify(regression("checkout", { severity: "ticket" }))).deliveries).toHaveLength(0);
    expect((await alerts.notify(regression("search"))).deliveries).toHaveLength(0);
    for (const d of [...first.deliveries, ...explicit.deliveries]) await alerts.settled(d.deliveryId);
    expect(receiver.at(at("pages"))).toHaveLength(2);
    const log = await t.request("GET", "/api/v1/alerts/deliveries?flag=checkout&limit=10");
    expect(log.body.deliveries.map((d: { dedupKey: string }) => d.dedupKey).sort()).toEqual([
      "ramp-7-step-3",
      "verdict:checkout:REGRESSION:page",
    ]);
  });

  it("renders a Slack-compatible body, signed like the others", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const { secret } = await create({ url: `${receiver.url}${at("slack")}`, flag: "slacky", format: "slack" });
    const sent = await t.server.context.alerts.notify(regression("slacky"));
    await t.server.context.alerts.settled(sent.deliveries[0]!.deliveryId);
    const [got] = receiver.at(at("slack"));
    expect(verifySignature(secret, got!.body, String(got!.headers[SIGNATURE_HEADER]))).toBe(true);
    const body = JSON.parse(got!.body);
    expect(body.text).toBe(`:rotating_light: [PAGE] darklaunch · slacky: verdict REGRESSION: ${regression("slacky").why}`);
    expect(body.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: expect.stringContaining("dark errors 2.1 %") } });
    expect(body.blocks[1].fields).toContainEqual({ type: "mrkdwn", text: "*eValue*\n41" });
    expect(body.blocks[2].type).toBe("context");
  });

  it("refuses a bad alert naming the field, and bad delivery queries", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await expect(t.server.context.alerts.notify({ ...regression("checkout"), severity: "urgent" })).rejects.toMatchObject({
      status: 400,
      details: [{ path: "severity", message: "must be one of page, ticket" }],
    });
    const bad = await t.request("GET", "/api/v1/alerts/deliveries?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].path).toBe("limit");
  });
});

describe.each(STORE_FACTORIES)("webhook targets without the allow option on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it.for([
    "http://127.0.0.1:9/hook",
    "http://localhost:9/hook",
    "http://[::1]:9/hook",
    "http://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:192.168.0.1]/hook",
  ])("refuses %s", async (url, ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const response = await t.request("POST", "/api/v1/alerts/destinations", { url });
    expect(response.status).toBe(400);
    expect(response.body.details[0].path).toBe("url");
    expect(response.body.details[0].message).toMatch(/private, loopback or link-local .*--allow-private-webhooks/);
    expect((await t.request("GET", "/api/v1/alerts/destinations")).body.destinations).toEqual([]);
  });
});
