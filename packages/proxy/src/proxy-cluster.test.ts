import cluster from "node:cluster";
import http from "node:http";
import { json, startBackend, type TestBackend, type TestServer, useListeningSqliteServer } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { startProxyCluster, workerCount } from "./proxy-cluster.js";

// Real workers (node:cluster, running the build), a real server on SQLite, real backends.

let t: TestServer;
let url: string;
const backends: TestBackend[] = [];

useListeningSqliteServer(backends, (server, base) => {
  t = server;
  url = base;
});

/** One request on a connection of its own, so that the workers take turns. */
function get(target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(target, { agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      })
      .on("error", reject);
  });
}

describe("--workers", () => {
  it("parses a count or auto, and names a bad value", () => {
    expect(workerCount(undefined)).toBe(1);
    expect(workerCount("3")).toBe(3);
    expect(workerCount("auto")).toBeGreaterThanOrEqual(1);
    expect(() => workerCount("0")).toThrow(/workers: must be a whole number from 1 to 256 or "auto", got "0"/);
    expect(() => workerCount("two")).toThrow(/got "two"/);
  });

  it("serves on two workers with one /metrics summing them and one report per window", async () => {
    const created = await t.request("POST", "/api/v1/flags", {
      key: "cluster-flag",
      variants: { stable: "stable", shadow: "shadow" },
      offVariant: "stable",
      enabled: true,
      fallthrough: { variant: "shadow" },
    });
    expect(created.status).toBe(201);
    const stable = await startBackend((req, res) => json(res, { path: req.url, price: 10 }));
    // Dark prices paths ending in 0 differently and fails those ending in 7.
    const dark = await startBackend((req, res) =>
      json(res, { path: req.url, price: req.url?.endsWith("0") ? 11 : 10 }, req.url?.endsWith("7") ? 503 : 200),
    );
    backends.push(stable, dark);
    const proxy = await startProxyCluster(
      {
        listen: "127.0.0.1:0",
        adminListen: "127.0.0.1:0",
        controlPlane: { url, token: t.secrets.sdk },
        // Only close() flushes: what the server holds afterwards was sent in one go by the primary.
        flushIntervalMs: 600_000,
        routes: [{ name: "api", match: { pathPrefix: "/" }, flag: "cluster-flag", stable: stable.url, dark: dark.url }],
      },
      2,
    );
    try {
      expect(Object.keys(cluster.workers ?? {})).toHaveLength(2);
      for (let i = 0; i < 40; i++) expect(await get(`${proxy.url}/c/${i}`)).toBe(200);
      // Each worker counts its own requests; the primary's /metrics adds them up.
      const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/^darklaunch_proxy_requests_total\{side="stable",route="api",status_class="2xx"\} 40$/m);
      expect((await fetch(`${proxy.adminUrl}/healthz`)).status).toBe(200);
    } finally {
      await proxy.close();
    }
    expect(Object.keys(cluster.workers ?? {})).toHaveLength(0);
    expect(stable.received).toHaveLength(40);
    // Both workers' windows were merged in the primary: one window per minute reached the server
    // (two when the requests straddled a minute), not one per worker.
    const read = await t.request("GET", "/api/v1/flags/cluster-flag/observations?since=1h", undefined, { scope: "read" });
    expect(read.status).toBe(200);
    expect(read.body.totals.baseline).toMatchObject({ requests: 40, errors: 0 });
    expect(read.body.totals.comparison).toMatchObject({ total: 40, mismatched: 8 });
    // Each mirrored request is one pair, however the workers shared them; merged exactly.
    expect(read.body.totals.dark).toMatchObject({ requests: 40, errors: 4 });
    expect(read.body.totals.paired).toMatchObject({ pairs: 40, bothErr: 0, darkOnlyErr: 4, baseOnlyErr: 0 });
    const sent = proxy.observationStats().sentWindows;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(2);
  });
});
