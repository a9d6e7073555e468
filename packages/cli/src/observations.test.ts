import { LatencySketch, type ObservationWindow } from "@darklaunch/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, closedPort, runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
const cli = (args: string[]) => runCli(args, { url: srv.url });

/** Ten minutes ago, at the start of its minute: inside the default hour. */
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function side(n: number, ms: number, errors: number) {
  const sketch = new LatencySketch();
  for (let i = 0; i < n; i++) sketch.record(ms);
  return { requests: n, errors, latency: sketch.toJSON(), reservoir: Array(Math.min(n, 256)).fill(ms) };
}

function sample(offset: number, price: number) {
  return {
    at: iso(BASE + offset),
    requestId: `req-${offset}`,
    method: "GET",
    url: "/items",
    baselineStatus: 200,
    darkStatus: 200,
    differences: [{ path: "body.items[].price", location: "body.items[0].price", kind: "changed" as const, baseline: 10, dark: price }],
  };
}

const WINDOW: ObservationWindow = {
  flag: "obs-flag",
  source: "proxy",
  route: "GET /items",
  start: iso(BASE),
  // Every latency the same: the sketch's quantiles are then exact.
  baseline: side(100, 10, 2),
  dark: side(50, 20, 5),
  comparison: {
    total: 50,
    matched: 40,
    mismatched: 10,
    noiseTotal: 50,
    fields: { "body.items[].price": 10, "body.id": 40 },
    noise: { "body.id": 40 },
  },
  samples: [sample(1_000, 11), sample(3_000, 13), sample(2_000, 12)],
};

async function call(method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${srv.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
}

beforeAll(async () => {
  srv = await startServer();
  await call("POST", "/api/v1/flags", {
    key: "obs-flag",
    variants: { on: true, off: false },
    offVariant: "off",
    fallthrough: { variant: "on" },
  });
  await call("POST", "/api/v1/observations", { windows: [WINDOW] });
});
afterAll(async () => {
  await srv?.close();
});

describe("observe", () => {
  it("prints dark against baseline with ratios and the divergence rate", async () => {
    const result = await cli(["observe", "obs-flag"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^observations of obs-flag from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d to .* UTC\n/);
    expect(result.stdout).toMatch(/ {2}BASELINE {2}DARK {3}DARK VS BASELINE\n/);
    expect(result.stdout).toMatch(/\nrequests {4}100 {7}50 {5}×0\.50\n/);
    expect(result.stdout).toMatch(/\nreq\/s {7}0\.0\d\d {5}0\.0\d\d +×0\.50\n/);
    expect(result.stdout).toMatch(/\nerrors {6}2 {9}5 {6}\+3\n/);
    expect(result.stdout).toMatch(/\nerror rate {2}2% {8}10% {4}\+8 pp\n/);
    for (const q of ["p50", "p95", "p99"]) expect(result.stdout).toMatch(new RegExp(`\\n${q} ms {6}10 {8}20 {5}×2\\.00\\n`));
    expect(result.stdout).toContain("\ndivergence: 20% (10 of 50 comparisons differ)\n");
  });

  it("filters by source and prints a series with --step; --json prints the answer", async () => {
    const sdkOnly = await cli(["observe", "obs-flag", "--source", "sdk"]);
    expect(sdkOnly.code).toBe(0);
    expect(sdkOnly.stdout).toContain("(source sdk)");
    expect(sdkOnly.stdout).toMatch(/\nrequests {4}0 {9}0 {5}-\n/);
    expect(sdkOnly.stdout).toContain("divergence: - (no comparisons)");

    const series = await cli(["observe", "obs-flag", "--since", iso(BASE - 20 * 60_000), "--step", "10m"]);
    expect(series.code).toBe(0);
    expect(series.stdout).toMatch(/START\s+BASELINE REQ\/S\s+DARK REQ\/S\s+DARK ERRORS\s+BASELINE P99\s+DARK P99\s+DIVERGENCE/);
    expect(series.stdout).toContain(`${iso(BASE).replace("T", " ").slice(0, 19)}  0.167`);

    const json = await cli(["observe", "obs-flag", "--json"]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body.totals.baseline).toMatchObject({ requests: 100, errors: 2, p50: 10, p99: 10 });
    expect(body.totals.dark).toMatchObject({ requests: 50, errors: 5, errorRate: 0.1 });
    expect(body.totals.comparison).toEqual({ total: 50, matched: 40, mismatched: 10, divergenceRate: 0.2 });
  });

  it("fails with the server's message for an unknown flag (exit 1) and on a bad option (exit 2)", async () => {
    const unknown = await cli(["observe", "ghost"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: flag "ghost" does not exist');
    const bad = await cli(["observe", "obs-flag", "--source", "pigeon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must be one of proxy, sdk, api");
  });
});

describe("diff", () => {
  it("prints the fields that differ, which are noise, and the newest samples with their values", async () => {
    const result = await cli(["diff", "obs-flag", "--limit", "2"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^mismatches of obs-flag from .* UTC: 10 of 50 comparisons differ \(20%\)\n/);
    expect(result.stdout).toMatch(/\nFIELD\s+DIFFERENCES\s+RATE\s+NOISE\s+NOISE RATE\s+VERDICT\n/);
    expect(result.stdout).toMatch(/\nbody\.id\s+40\s+80%\s+40\s+80%\s+noise\n/);
    expect(result.stdout).toMatch(/\nbody\.items\[\]\.price\s+10\s+20%\s+0\s+0%\s+differs\n/);
    const samples = result.stdout.split("samples, newest first:")[1] ?? "";
    expect(samples.match(/id req-\d+/g)).toEqual(["id req-3000", "id req-2000"]);
    expect(samples).toContain("proxy GET /items  GET /items  status 200 / 200");
    expect(samples).toMatch(/ {2}body\.items\[0\]\.price {2}10 {8}13\n/);
    expect(samples).toMatch(/ {2}body\.items\[0\]\.price {2}10 {8}12\n/);
  });

  it("--json prints the answer; an unknown flag is exit 1", async () => {
    const json = await cli(["diff", "obs-flag", "--json"]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body.fields.map((f: { path: string; significant: boolean }) => [f.path, f.significant])).toEqual([
      ["body.id", false],
      ["body.items[].price", true],
    ]);
    expect(body.samples).toHaveLength(3);
    const unknown = await cli(["diff", "ghost"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: flag "ghost" does not exist');
  });
});

describe("observe and diff: bad input", () => {
  it.each([
    [["observe", "obs-flag", "--since", "1"], "--since"],
    [["observe", "obs-flag", "--since", "March 7"], "--since"],
    [["observe", "obs-flag", "--step", "30s"], "--step"],
    [["observe", "obs-flag", "--step", "90s"], "--step"],
    [["observe", "obs-flag", "--step", "0m"], "--step"],
    [["diff", "obs-flag", "--limit", "0"], "--limit"],
    [["diff", "obs-flag", "--limit", "101"], "--limit"],
    [["diff", "obs-flag", "--limit", "many"], "--limit"],
    [["diff", "obs-flag", "--colour", "blue"], "--colour"],
  ])("%j is a usage error naming %s (exit 2)", async (args, option) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(option);
    expect(result.stdout).toBe("");
  });

  it("takes a step of whole minutes given in seconds or hours", async () => {
    expect((await cli(["observe", "obs-flag", "--step", "120s"])).code).toBe(0);
    expect((await cli(["observe", "obs-flag", "--step", "1h"])).code).toBe(0);
  });

  it("names the server it cannot reach (exit 1)", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    for (const verb of ["observe", "diff"]) {
      const result = await runCli([verb, "obs-flag"], { url });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot reach the darklaunch server at ${url}`);
    }
  });
});
