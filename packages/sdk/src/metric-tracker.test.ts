import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { position, type Snapshot } from "@darklaunch/core";
import { createServer, type DarkLaunchServer } from "@darklaunch/server";
import { releaseFlag } from "@darklaunch/testkit";
import { OpenFeature } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type DarkLaunchClient, DarkLaunchProvider } from "./index.js";
import { MetricTracker } from "./metric-tracker.js";
import { adminApi, waitFor } from "./test-fake-server.js";

const ADMIN = "dl_admin_sdk-metrics-secret-0123456789";
const MIN = 60_000;

const api = adminApi(ADMIN);

function subjectWhere(salt: string, wanted: (p: number) => boolean): string {
  for (let i = 0; ; i++) if (wanted(position(`user-${i}`, salt))) return `user-${i}`;
}

describe("business metrics from the SDK, against the real server", () => {
  let dir = "";
  let server: DarkLaunchServer;
  let url = "";
  let token = "";
  let clock = Date.parse("2026-03-02T10:00:00Z");
  const clients: DarkLaunchClient[] = [];
  const newClient = () => {
    const client = createClient({ url, token, now: () => clock });
    clients.push(client);
    return client;
  };
  const minutes = async (flag: string) =>
    (await server.context.metrics.business(flag, "on", "2026-03-02T09:00:00.000Z", "2026-03-02T11:00:00.000Z"))[0]?.minutes;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-sdk-metrics-"));
    server = await createServer({ sqlitePath: join(dir, "darklaunch.db"), adminToken: ADMIN, heartbeatMs: 200 });
    url = await server.listen(0, "127.0.0.1");
    token = (await api(url, "POST", "/api/v1/tokens", { name: "sdk", scope: "sdk" })).body.secret as string;
    for (const key of ["buy-ramp", "buy-of"]) {
      expect((await api(url, "POST", "/api/v1/flags", releaseFlag(key, 5))).status).toBe(201);
    }
    expect(
      (await api(url, "POST", "/api/v1/flags/buy-ramp/metrics", { key: "buy", event: "purchase", kind: "value", direction: "up" })).status,
    ).toBe(201);
    expect(
      (await api(url, "POST", "/api/v1/flags/buy-of/metrics", { key: "signup", event: "signup", kind: "conversion", direction: "up" }))
        .status,
    ).toBe(201);
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await OpenFeature.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("attributes a subject's events to its variant at track time: it follows the subject across a ramp step", async () => {
    const client = newClient();
    await client.ready();
    await client.flushMetrics(); // the definitions are loaded now
    const moving = subjectWhere("buy-ramp", (p) => p >= 5 && p < 25);
    expect(client.variant("buy-ramp", { id: moving })).toBe("off");
    client.track("purchase", { id: moving }, 30);
    client.track("unwatched", { id: moving });
    await client.flushMetrics();

    const changed = waitFor<{ keys: string[] }>(
      (l) => client.on("change", l),
      (e) => e.keys.includes("buy-ramp"),
    );
    const current = await api(url, "GET", "/api/v1/flags/buy-ramp");
    const stepped = await api(url, "PUT", "/api/v1/flags/buy-ramp", { ...releaseFlag("buy-ramp", 25), version: current.body.version });
    expect(stepped.status).toBe(200);
    await changed;
    clock += MIN;
    expect(client.variant("buy-ramp", { id: moving })).toBe("on");
    client.track("purchase", { targetingKey: moving }, 12);
    await client.flushMetrics();
    // A minute with no events is still reported: every variant of the watched flag, zero events.
    clock += MIN;
    await client.flushMetrics();

    expect(client.metricStats()).toMatchObject({ trackedEvents: 2, unattributedEvents: 1, failedPosts: 0 });
    const zero = { exposed: 0, converted: 0, events: 0, sum: 0, sumSq: 0 };
    expect(await minutes("buy-ramp")).toEqual([
      { start: "2026-03-02T10:00:00.000Z", base: { exposed: 1, converted: 1, events: 1, sum: 30, sumSq: 900 }, dark: zero },
      { start: "2026-03-02T10:01:00.000Z", base: zero, dark: { exposed: 1, converted: 1, events: 1, sum: 12, sumSq: 144 } },
      { start: "2026-03-02T10:02:00.000Z", base: zero, dark: zero },
    ]);
    const covered = await server.database.db
      .selectFrom("metric_windows")
      .select(["variant", "minute"])
      .where("flag_key", "=", "buy-ramp")
      .where("minute", "=", "2026-03-02T10:02:00.000Z")
      .execute();
    expect(covered.map((r) => r.variant).sort()).toEqual(["off", "on"]);
  });

  it("puts the windows of failed posts back and sends them once the server answers again; refused ones are dropped", async () => {
    expect((await api(url, "POST", "/api/v1/flags", releaseFlag("buy-retry", 50))).status).toBe(201);
    expect(
      (await api(url, "POST", "/api/v1/flags/buy-retry/metrics", { key: "buy", event: "purchase", kind: "conversion", direction: "up" }))
        .status,
    ).toBe(201);
    // The real server, but its metric ingest answers as `answer` says until it is set back to "up".
    let answer: "up" | 503 | "refused" | 400 = "up";
    const flaky: typeof fetch = async (input, init) => {
      if (init?.method === "POST" && String(input).endsWith("/api/v1/sdk/metrics")) {
        if (answer === 503) return new Response(JSON.stringify({ message: "busy" }), { status: 503 });
        if (answer === 400) return new Response(JSON.stringify({ message: "bad batch" }), { status: 400 });
        if (answer === "refused") throw new TypeError("fetch failed: connect ECONNREFUSED");
      }
      return fetch(input, init);
    };
    const start = clock;
    const client = createClient({ url, token, now: () => clock, fetch: flaky });
    clients.push(client);
    const errors: string[] = [];
    client.on("error", (e) => errors.push(e.message));
    await client.ready();
    await client.flushMetrics(); // the definitions are loaded now
    const users = ["a", "b", "c"].map((id) => ({ id: `retry-${id}` }));
    const expose = () => {
      for (const user of users) client.isEnabled("buy-retry", user);
    };

    answer = 503;
    expose();
    client.track("purchase", users[0]);
    await client.flushMetrics();
    expect(client.metricStats()).toMatchObject({ failedPosts: 1, sentWindows: 0, rejectedWindows: 0 });
    expect(client.metricStats().pendingWindows).toBeGreaterThan(0);
    answer = "refused";
    clock += MIN;
    expose();
    client.track("purchase", users[1]);
    client.track("purchase", users[1]);
    await client.flushMetrics();
    expect(client.metricStats()).toMatchObject({ failedPosts: 2, sentWindows: 0, droppedWindows: 0 });
    expect(await minutes("buy-retry")).toEqual([]);

    answer = "up";
    await client.flushMetrics();
    const stats = client.metricStats();
    expect(stats).toMatchObject({ failedPosts: 2, pendingWindows: 0, rejectedWindows: 0, droppedWindows: 0 });
    expect(stats.sentWindows).toBeGreaterThan(0);
    const arms = (await minutes("buy-retry"))?.map((m) => ({
      start: m.start,
      exposed: m.base.exposed + m.dark.exposed,
      converted: m.base.converted + m.dark.converted,
      events: m.base.events + m.dark.events,
    }));
    expect(arms).toEqual([
      { start: new Date(start).toISOString(), exposed: 3, converted: 1, events: 1 },
      { start: new Date(start + MIN).toISOString(), exposed: 3, converted: 1, events: 2 },
    ]);
    // Sent once: a later flush does not send them again.
    await client.flushMetrics();
    const again = (await minutes("buy-retry"))?.slice(0, 2).map((m) => ({
      start: m.start,
      exposed: m.base.exposed + m.dark.exposed,
      converted: m.base.converted + m.dark.converted,
      events: m.base.events + m.dark.events,
    }));
    expect(again).toEqual(arms);

    // A refusal (a 4xx other than 429) is not retried: the windows are dropped, counted and reported.
    answer = 400;
    clock += MIN;
    client.track("purchase", users[2]);
    await client.flushMetrics();
    answer = "up";
    const refused = client.metricStats();
    expect(refused.rejectedWindows).toBeGreaterThan(0);
    expect(refused.pendingWindows).toBe(0);
    expect(errors.some((m) => /refused and dropped/.test(m))).toBe(true);
    await client.flushMetrics();
    const third = (await minutes("buy-retry"))?.find((m) => m.start === new Date(start + 2 * MIN).toISOString());
    expect(third === undefined || third.base.events + third.dark.events === 0).toBe(true);
    clock += MIN;
  });

  it("keeps at most maxPendingWindows windows while the server is away, dropping the oldest minutes first", async () => {
    let up = false;
    const target = {
      url,
      token,
      fetch: (async (input, init) =>
        init?.method === "POST" && !up ? new Response("{}", { status: 503 }) : fetch(input, init)) as typeof fetch,
    };
    const base = Date.parse("2026-03-02T10:30:00Z");
    let now = base;
    const tracker = new MetricTracker(
      target,
      "bounded",
      () => undefined,
      () => now,
      () => {},
      3_600_000,
      2,
    );
    const snapshot = { flag: () => undefined } as unknown as Snapshot;
    for (let minute = 0; minute < 3; minute++, now += MIN) tracker.expose(snapshot, "buy-retry", "off", { id: "bounded" });
    await tracker.flush();
    expect(tracker.stats).toMatchObject({ failedPosts: 1, pendingWindows: 2, droppedWindows: 1, sentWindows: 0 });
    up = true;
    await tracker.flush();
    expect(tracker.stats).toMatchObject({ pendingWindows: 0, sentWindows: 2 });
    const stored = (await minutes("buy-retry"))?.filter((m) => m.start >= new Date(base).toISOString());
    expect(stored?.map((m) => [m.start, m.base.exposed])).toEqual([
      [new Date(base + MIN).toISOString(), 1],
      [new Date(base + 2 * MIN).toISOString(), 1],
    ]);
  });

  it("tracks through OpenFeature's client.track(name, context, details)", async () => {
    const client = newClient();
    await OpenFeature.setProviderAndWait("metrics", new DarkLaunchProvider(client));
    await client.flushMetrics();
    const of = OpenFeature.getClient("metrics");
    const early = subjectWhere("buy-of", (p) => p < 5);
    expect(await of.getBooleanValue("buy-of", false, { targetingKey: early })).toBe(true);
    of.track("signup", { targetingKey: early }, { value: 2 });
    of.track("signup", { targetingKey: early });
    await client.flushMetrics();
    const minute = (await minutes("buy-of"))?.find((m) => m.start === new Date(clock).toISOString());
    expect(minute?.dark).toEqual({ exposed: 1, converted: 1, events: 2, sum: 3, sumSq: 5 });
  });
});
