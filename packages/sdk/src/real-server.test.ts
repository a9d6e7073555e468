import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type DarkLaunchServer } from "@darklaunch/server";
import { killProcess as kill, type ServerProcess, startServerProcess } from "@darklaunch/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type DarkLaunchClient, type SdkError } from "./index.js";
import { adminApi, boolFlag, waitFor } from "./test-fake-server.js";

const ADMIN = "dl_admin_sdk-test-secret-0123456789";

const api = adminApi(ADMIN);

async function sdkToken(url: string): Promise<string> {
  const created = await api(url, "POST", "/api/v1/tokens", { name: "sdk-test", scope: "sdk" });
  expect(created.status).toBe(201);
  return created.body.secret as string;
}

async function setEnabled(url: string, key: string, enabled: boolean): Promise<void> {
  const current = await api(url, "GET", `/api/v1/flags/${key}`);
  const patched = await api(url, "PATCH", `/api/v1/flags/${key}`, { enabled, version: current.body.version });
  expect(patched.status).toBe(200);
}

describe("against the real server, in process", () => {
  let dir = "";
  let server: DarkLaunchServer;
  let url = "";
  let token = "";
  const clients: DarkLaunchClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-sdk-real-"));
    server = await createServer({ sqlitePath: join(dir, "darklaunch.db"), adminToken: ADMIN, heartbeatMs: 200 });
    url = await server.listen(0, "127.0.0.1");
    token = await sdkToken(url);
    expect((await api(url, "POST", "/api/v1/flags", boolFlag("checkout-v2", true))).status).toBe(201);
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a flag change made through the API reaches the client as a change event", async () => {
    const client = createClient({ url, token, heartbeatTimeoutMs: 2_000 });
    clients.push(client);
    const errors: SdkError[] = [];
    client.on("error", (error) => errors.push(error));
    expect(await client.ready()).toMatchObject({ source: "server", stale: false });
    expect(client.isEnabled("checkout-v2", { id: "u42" })).toBe(true);

    const changed = waitFor<{ keys: string[] }>(
      (l) => client.on("change", l),
      (e) => e.keys.includes("checkout-v2"),
      20_000,
    );
    await setEnabled(url, "checkout-v2", false);
    await changed;
    expect(client.evaluate("checkout-v2", { id: "u42" })).toMatchObject({ value: false, reason: "DISABLED" });

    const added = waitFor<{ keys: string[] }>(
      (l) => client.on("change", l),
      (e) => e.keys.includes("new-search"),
      20_000,
    );
    expect((await api(url, "POST", "/api/v1/flags", boolFlag("new-search", true))).status).toBe(201);
    await added;
    expect(client.isEnabled("new-search", { id: "u1" })).toBe(true);
    expect(client.status).toBe("live");
    expect(errors).toEqual([]);
  });

  it("telemetry is accepted by the server on close", async () => {
    const client = createClient({ url, token, telemetry: { intervalMs: 60_000, sampleExcluded: 10 } });
    const errors: SdkError[] = [];
    client.on("error", (error) => errors.push(error));
    await client.ready();
    for (let i = 0; i < 50; i++) client.isEnabled("checkout-v2", { id: `u${i}` });
    await client.close();
    expect(errors).toEqual([]);
  });

  it("an experiment's observations reach the server and show in the flag's observations", async () => {
    expect((await api(url, "POST", "/api/v1/flags", boolFlag("pricing-v2", true))).status).toBe(201);
    const client = createClient({ url, token, telemetry: false, observations: { flushIntervalMs: 60_000 } });
    const errors: SdkError[] = [];
    client.on("error", (error) => errors.push(error));
    await client.ready();
    for (let i = 0; i < 10; i++) {
      const value = await client.experiment(
        "pricing-v2",
        { id: `u${i}` },
        { control: () => ({ total: i }), candidate: async () => ({ total: i % 2 === 0 ? i : i + 1 }) },
      );
      expect(value).toEqual({ total: i });
    }
    await client.close();
    expect(errors).toEqual([]);
    // One window, or two when the runs straddle a minute.
    expect(client.observationStats()).toMatchObject({
      sentWindows: expect.any(Number),
      rejectedWindows: 0,
      failedPosts: 0,
      pendingWindows: 0,
    });
    expect(client.observationStats().sentWindows).toBeGreaterThanOrEqual(1);

    const series = await api(url, "GET", "/api/v1/flags/pricing-v2/observations?since=1h&source=sdk");
    expect(series.status).toBe(200);
    expect(series.body.totals).toMatchObject({
      baseline: { requests: 10, errors: 0 },
      dark: { requests: 10, errors: 0 },
      comparison: { total: 10, matched: 5, mismatched: 5, divergenceRate: 0.5 },
    });
    const mismatches = await api(url, "GET", "/api/v1/flags/pricing-v2/mismatches?since=1h");
    expect(mismatches.status).toBe(200);
    expect(mismatches.body.fields).toEqual(expect.arrayContaining([expect.objectContaining({ path: "body.total" })]));
  });

  it("an experiment whose candidate fails on every 4th run shows those as dark-only errors among its pairs", async () => {
    expect((await api(url, "POST", "/api/v1/flags", boolFlag("pricing-v3", true))).status).toBe(201);
    const client = createClient({ url, token, telemetry: false, observations: { flushIntervalMs: 60_000 } });
    await client.ready();
    for (let i = 0; i < 12; i++) {
      const candidate = async () => {
        if (i % 4 === 0) throw new Error("candidate down");
        return i;
      };
      expect(await client.experiment("pricing-v3", { id: `u${i}` }, { control: () => i, candidate })).toBe(i);
    }
    await client.close();
    expect(client.observationStats()).toMatchObject({ rejectedWindows: 0, failedPosts: 0, pendingWindows: 0 });
    const series = await api(url, "GET", "/api/v1/flags/pricing-v3/observations?since=1h&source=sdk");
    expect(series.body.totals).toMatchObject({
      baseline: { requests: 12, errors: 0 },
      dark: { requests: 12, errors: 3 },
      paired: { pairs: 12, bothErr: 0, darkOnlyErr: 3, baseOnlyErr: 0 },
    });
  });

  it("windows of a flag the server does not know are counted as skipped and reported, not as sent", async () => {
    const client = createClient({ url, token, telemetry: false, observations: { flushIntervalMs: 60_000 } });
    const errors: SdkError[] = [];
    client.on("error", (error) => errors.push(error));
    await client.ready();
    client.observations.recordRequest({ flag: "no-such-flag", route: "GET /x", side: "dark", latencyMs: 3 });
    client.observations.recordRequest({ flag: "checkout-v2", route: "GET /x", side: "dark", latencyMs: 3 });
    await client.close();
    expect(client.observationStats()).toMatchObject({ sentWindows: 1, skippedWindows: 1, rejectedWindows: 0, failedPosts: 0 });
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ["OBSERVATIONS_FAILED", 'the server skipped 1 observation windows: no flag "no-such-flag" there'],
    ]);
  });

  it("a wrong token: a clear error, and no retry storm", async () => {
    const client = createClient({ url, token: "dl_sdk_wrong-0123456789abcdef", readyTimeoutMs: 10_000, telemetry: false });
    clients.push(client);
    await expect(client.ready()).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(/refused the SDK token/) });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(client.syncRequests).toBe(1);
  });
});

/** The real server in its own process (heartbeats every 200 ms), so that it can be killed for real. */
function startProcess(sqlitePath: string, port: number): Promise<ServerProcess> {
  return startServerProcess({ sqlitePath, adminToken: ADMIN, heartbeatMs: 200 }, port);
}

describe("against a real server process", () => {
  const children: ChildProcess[] = [];
  let dir = "";
  let client: DarkLaunchClient | undefined;
  afterAll(async () => {
    await client?.close();
    for (const child of children) await kill(child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("killed: the client keeps answering from its snapshot, goes stale, and recovers on restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "darklaunch-sdk-kill-"));
    const sqlitePath = join(dir, "darklaunch.db");
    const first = await startProcess(sqlitePath, 0);
    children.push(first.child);
    const port = Number(new URL(first.url).port);
    const token = await sdkToken(first.url);
    expect((await api(first.url, "POST", "/api/v1/flags", boolFlag("checkout-v2", true))).status).toBe(201);

    client = createClient({
      url: first.url,
      token,
      heartbeatTimeoutMs: 1_000,
      pollIntervalMs: 500,
      backoff: { baseMs: 100, capMs: 500 },
      telemetry: false,
      cachePath: join(dir, "sdk-cache.json"),
    });
    const c = client;
    await c.ready();
    expect(c.isEnabled("checkout-v2", { id: "u42" })).toBe(true);

    const stale = waitFor((l) => c.on("stale", l), undefined, 20_000);
    await kill(first.child);
    await stale;
    expect(c.status).toBe("stale");
    expect(c.isEnabled("checkout-v2", { id: "u42" })).toBe(true);
    expect(c.revision).not.toBeUndefined();

    const recovered = waitFor((l) => c.on("ready", l), undefined, 30_000);
    const second = await startProcess(sqlitePath, port);
    children.push(second.child);
    await recovered;
    // Whichever answers first after the restart, the stream or a poll of the snapshot, recovers it.
    expect(["live", "polling"]).toContain(c.status);

    const changed = waitFor<{ keys: string[] }>(
      (l) => c.on("change", l),
      (e) => e.keys.includes("checkout-v2"),
      20_000,
    );
    await setEnabled(second.url, "checkout-v2", false);
    await changed;
    expect(c.isEnabled("checkout-v2", { id: "u42" })).toBe(false);
    await kill(second.child);
  }, 90_000);
});
