import type { PairedCounts } from "@darklaunch/core";
import { createClient } from "@darklaunch/sdk";
import {
  clientServing,
  deadUrl,
  eventually,
  json,
  ok,
  proxyTestKit,
  startBackend,
  type TestBackend,
  type TestServer,
  useListeningSqliteServer,
} from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { type RunningProxy, startProxy } from "./start-proxy.js";

// Shadow mode's pairs the whole way: real stable and dark backends, the real proxy with its SDK
// client, a real server on SQLite, read back through the API and from the store.

const MINUTE = 60_000;
let t: TestServer;
let url: string;
const backends: TestBackend[] = [];

useListeningSqliteServer(backends, (server, base) => {
  t = server;
  url = base;
});

async function shadowFlag(key: string): Promise<void> {
  const response = await t.request("POST", "/api/v1/flags", {
    key,
    variants: { stable: "stable", shadow: "shadow" },
    offVariant: "stable",
    enabled: true,
    fallthrough: { variant: "shadow" },
  });
  if (response.status !== 201) throw new Error(`cannot create ${key}: ${response.status} ${JSON.stringify(response.body)}`);
}

async function backend(answer: Parameters<typeof startBackend>[0]): Promise<TestBackend> {
  const b = await startBackend(answer);
  backends.push(b);
  return b;
}

function proxyFor(flag: string, stable: string, dark: string, extra: Record<string, unknown> = {}): Promise<RunningProxy> {
  return startProxy(
    {
      listen: "127.0.0.1:0",
      adminListen: "127.0.0.1:0",
      controlPlane: { url, token: t.secrets.sdk },
      flushIntervalMs: 600_000,
      routes: [{ name: "api", match: { pathPrefix: "/" }, flag, stable, dark, ...extra }],
    },
    { warn: () => {} },
  );
}

async function totals(flag: string) {
  const read = await t.request("GET", `/api/v1/flags/${flag}/observations?since=1h`, undefined, { scope: "read" });
  expect(read.status).toBe(200);
  return read.body.totals as {
    baseline: { requests: number; errors: number };
    dark: { requests: number; errors: number };
    paired: (PairedCounts & { pairs: number }) | null;
  };
}

/** A dark backend that answers nothing until `release()`: its mirrors stay in flight until then. */
async function heldDark(): Promise<{ dark: TestBackend; release: () => void }> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const dark = await backend((req, res) => void held.then(() => json(res, { path: req.url })));
  return { dark, release };
}

/** The index in `/i/<n>` (the tests' paths). */
const indexOf = (path: string) => Number(path.split("/").pop()?.split("?")[0]);

describe("shadow mode's paired counters", () => {
  it("counts dark's 5xx on every 3rd request as darkOnlyErr, once per mirrored request, sides not double counted", async () => {
    await shadowFlag("paired-errors");
    let darkCalls = 0;
    const stable = await backend((req, res) => json(res, { path: req.url }));
    const dark = await backend((req, res) => {
      darkCalls++;
      json(res, { path: req.url }, darkCalls % 3 === 0 ? 503 : 200);
    });
    const proxy = await proxyFor("paired-errors", stable.url, dark.url);
    for (let i = 0; i < 30; i++) expect((await fetch(`${proxy.url}/i/${i}`)).status).toBe(200);
    await proxy.close(); // drains the mirrors and flushes the client

    expect(dark.received).toHaveLength(30);
    const read = await totals("paired-errors");
    expect(read.paired).toMatchObject({ pairs: 30, bothErr: 0, darkOnlyErr: 10, baseOnlyErr: 0 });
    expect(read.baseline).toMatchObject({ requests: 30, errors: 0 });
    expect(read.dark).toMatchObject({ requests: 30, errors: 10 });
  });

  it("tells dark-only, baseline-only and shared errors apart, bodies (POST) included; an unmirrored request is no pair", async () => {
    await shadowFlag("paired-mixed");
    // Stable fails on every 5th index, dark on every 3rd: both on 0 and 15.
    const stable = await backend((req, res) => json(res, { path: req.url }, indexOf(req.url) % 5 === 0 ? 500 : 200));
    const dark = await backend((req, res) => json(res, { path: req.url }, indexOf(req.url) % 3 === 0 ? 502 : 200));
    const proxy = await proxyFor("paired-mixed", stable.url, dark.url, { mirrorMethods: ["GET", "POST"] });
    for (let i = 0; i < 30; i++) {
      const init = i % 2 === 0 ? { method: "POST", body: JSON.stringify({ i }) } : {};
      await (await fetch(`${proxy.url}/i/${i}`, init)).arrayBuffer();
    }
    // Not a mirrored method: served and counted on the baseline side, not a pair.
    await (await fetch(`${proxy.url}/i/1`, { method: "PUT", body: "x" })).arrayBuffer();
    await proxy.close();

    const read = await totals("paired-mixed");
    expect(read.paired).toMatchObject({ pairs: 30, bothErr: 2, darkOnlyErr: 8, baseOnlyErr: 4 });
    expect(read.baseline).toMatchObject({ requests: 31, errors: 6 });
    expect(read.dark).toMatchObject({ requests: 30, errors: 10 });
  });

  it("counts a dark side 50 ms slower as slower on every pair", async () => {
    await shadowFlag("paired-slow");
    const stable = await backend((req, res) => json(res, { path: req.url }));
    // The backend under test answers late; the test itself waits on nothing but responses.
    const dark = await backend((req, res) => setTimeout(() => json(res, { path: req.url }), 50));
    const proxy = await proxyFor("paired-slow", stable.url, dark.url);
    for (let i = 0; i < 8; i++) expect((await fetch(`${proxy.url}/i/${i}`)).status).toBe(200);
    await proxy.close();

    const read = await totals("paired-slow");
    expect(read.paired).toEqual({ pairs: 8, bothErr: 0, darkOnlyErr: 0, baseOnlyErr: 0, slower: 8, faster: 0, tie: 0, lost: 0 });
  });

  it("counts mirrors dropped at the in-flight bound and over the body limit as lost, a method not mirrored as neither", async () => {
    await shadowFlag("paired-lost");
    const stable = await backend((req, res) => json(res, { path: req.url }));
    // Dark holds its first answer until the test has sent the rest: the one place stays taken.
    const { dark, release } = await heldDark();
    const proxy = await proxyFor("paired-lost", stable.url, dark.url, { maxInflight: 1, bodyLimit: 64, mirrorMethods: ["GET", "POST"] });
    const first = fetch(`${proxy.url}/i/0`);
    await eventually(() => dark.received.length === 1, "dark's first request");
    for (let i = 1; i <= 3; i++) expect((await (await fetch(`${proxy.url}/i/${i}`)).arrayBuffer()).byteLength).toBeGreaterThan(0);
    release();
    expect((await first).status).toBe(200);
    await eventually(
      async () => /^darklaunch_proxy_mirror_inflight 0$/m.test(await (await fetch(`${proxy.adminUrl}/metrics`)).text()),
      "the held mirror to end",
    );
    expect((await fetch(`${proxy.url}/big`, { method: "POST", body: "x".repeat(200) })).status).toBe(200);
    expect((await fetch(`${proxy.url}/put`, { method: "PUT", body: "x" })).status).toBe(200);
    await proxy.close();

    const read = await totals("paired-lost");
    // 3 refused at the bound, 1 body over the limit; the PUT was never meant to be mirrored.
    expect(read.paired).toMatchObject({ pairs: 1, lost: 4 });
    expect(read.baseline.requests).toBe(6);
  });

  it("a mirror the rate limit refuses is not lost: the limit samples, whatever dark does", async () => {
    await shadowFlag("paired-rate");
    const stable = await backend((req, res) => json(res, { path: req.url }));
    // Dark holds its answer while the rest are sent, so the one place stays taken: the rate
    // limit, asked first, refuses them before the in-flight bound could call them lost.
    const { dark, release } = await heldDark();
    // One token, the next in 100 s: the first request is mirrored, the other four are refused.
    const proxy = await proxyFor("paired-rate", stable.url, dark.url, { mirrorRate: 0.01, maxInflight: 1 });
    for (let i = 0; i < 5; i++) expect((await fetch(`${proxy.url}/i/${i}`)).status).toBe(200);
    release();
    await proxy.close();

    expect(dark.received).toHaveLength(1);
    const read = await totals("paired-rate");
    expect(read.paired).toMatchObject({ pairs: 1, lost: 0 });
    expect(read.baseline.requests).toBe(5);
  });

  it("reports a quiet minute as a window with zero requests, so it differs from a minute nobody reported", async () => {
    await shadowFlag("paired-quiet");
    const stable = await backend((req, res) => json(res, { path: req.url }));
    const dark = await backend((req, res) => json(res, { path: req.url }));
    // The recorder's clock is the client's: moved by hand, not waited for.
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
    let clock = start + 5_000;
    const client = createClient({
      url,
      token: t.secrets.sdk,
      now: () => clock,
      observations: { source: "proxy", flushIntervalMs: 600_000 },
    });
    const proxy = await startProxy(
      {
        listen: "127.0.0.1:0",
        adminListen: "127.0.0.1:0",
        routes: [{ name: "api", match: { pathPrefix: "/" }, flag: "paired-quiet", stable: stable.url, dark: dark.url }],
      },
      { client, warn: () => {} },
    );
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${proxy.url}/i/${i}`)).status).toBe(200);
      await proxy.close(); // the mirrors are recorded before the clock moves
      await client.flushObservations();
      clock = start + 3 * MINUTE + 5_000;
      await client.flushObservations();
    } finally {
      await proxy.close();
      await client.close();
    }
    const rows = await t.server.database.db
      .selectFrom("observation_windows")
      .select(["minute", "data"])
      .where("flag_key", "=", "paired-quiet")
      .orderBy("minute")
      .execute();
    const windows = rows.map((r) => {
      const data = JSON.parse(r.data) as { baseline: { requests: number }; dark: { requests: number }; paired?: PairedCounts };
      const pairs = data.paired === undefined ? null : data.paired.slower + data.paired.faster + data.paired.tie;
      return [r.minute, data.baseline.requests, data.dark.requests, pairs];
    });
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(windows).toEqual([
      [iso(start), 3, 3, 3],
      [iso(start + MINUTE), 0, 0, null],
      [iso(start + 2 * MINUTE), 0, 0, null],
      [iso(start + 3 * MINUTE), 0, 0, null],
    ]);
    // Before the proxy ran, nobody reported: no window at all.
    expect(rows.some((r) => Date.parse(r.minute) < start)).toBe(false);
  });
});

describe("pairs at the edges (in-process client)", () => {
  const kit = proxyTestKit("edge-flag");
  const pairsOf = (windows: { paired?: PairedCounts | undefined }[]) =>
    windows.reduce((n, w) => n + (w.paired === undefined ? 0 : w.paired.slower + w.paired.faster + w.paired.tie), 0);

  it("stable unreachable: the client gets 502 and the pair counts a baseline-only error", async () => {
    const dead = await deadUrl();
    const dark = await kit.backend(ok);
    const client = clientServing("edge-flag", "shadow");
    const proxy = await kit.proxyFor(client, { stable: dead.url, dark: dark.url });
    for (let i = 0; i < 3; i++) expect((await fetch(`${proxy.url}/i/${i}`)).status).toBe(502);
    await proxy.close();
    const windows = client.observations.drain();
    expect(windows.map((w) => w.paired)).toEqual([expect.objectContaining({ baseOnlyErr: 3, darkOnlyErr: 0, bothErr: 0 })]);
    expect(windows[0]).toMatchObject({ baseline: { requests: 3, errors: 3 }, dark: { requests: 3, errors: 0 } });
  });

  it("dark unreachable: every pair is a dark-only error", async () => {
    const dead = await deadUrl();
    const stable = await kit.backend(ok);
    const client = clientServing("edge-flag", "shadow");
    const proxy = await kit.proxyFor(client, { stable: stable.url, dark: dead.url });
    for (let i = 0; i < 4; i++) expect((await fetch(`${proxy.url}/i/${i}`)).status).toBe(200);
    await proxy.close();
    const windows = client.observations.drain();
    expect(pairsOf(windows)).toBe(4);
    expect(windows[0]).toMatchObject({
      paired: { darkOnlyErr: 4 },
      baseline: { requests: 4, errors: 0 },
      dark: { requests: 4, errors: 4 },
    });
  });

  it("a client that leaves before stable answers: dark is counted on its own, no pair (a lost mirror) and no baseline request", async () => {
    const stable = await kit.backend(() => "hang");
    const dark = await kit.backend(ok);
    const client = clientServing("edge-flag", "shadow");
    const proxy = await kit.proxyFor(client, { stable: stable.url, dark: dark.url });
    const leave = new AbortController();
    const request = fetch(`${proxy.url}/i/1`, { signal: leave.signal }).catch(() => "left");
    await eventually(() => stable.received.length === 1 && dark.received.length === 1, "both backends to be asked");
    leave.abort();
    expect(await request).toBe("left");
    await proxy.close(); // waits for the mirror, which waits for stable's call to end
    const windows = client.observations.drain();
    expect(pairsOf(windows)).toBe(0);
    expect(windows[0]).toMatchObject({ baseline: { requests: 0 }, dark: { requests: 1, errors: 0 }, paired: { lost: 1 } });
  });
});
