/**
 * `npm run bench:proxy` (issue #5, DESIGN §7): what the shadow proxy costs the stable path. Every
 * case drives the same closed-loop load (autocannon, CONNECTIONS connections) for DURATION seconds
 * after a warm-up, against: the stable backend directly; our proxy with shadowing off; shadowing at
 * 100 % with a fast dark backend, a dark backend answering after 200 ms, and a dark backend that is
 * down; then the same three through nginx's `mirror` module when nginx is installed. Backends, the
 * proxy (a fresh process per case, so its peak memory is the case's own) and the control plane each
 * run in a process of their own; the load generator runs here. The cases run in ROUNDS interleaved
 * rounds (PROXY_BENCH_ROUNDS, default 5); each case reports its median run, and every target is
 * judged on the median of ratios taken within a round: on a shared machine one noisy minute then
 * costs the cases compared alike instead of deciding a comparison. PROXY_BENCH_NODE_ARGS
 * passes Node options to the proxy processes alone (a CPU profile per case, say).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import {
  apiRequest,
  closeApi,
  expectStatus,
  firstJsonLine,
  formatMiB,
  kill,
  onCleanup,
  peakRssMiB,
  runCleanups,
  spawnChild,
  startServerProcess,
} from "./processes.js";

const CONNECTIONS = Number(process.env.PROXY_BENCH_CONNECTIONS ?? 32);
const DURATION_S = Number(process.env.PROXY_BENCH_SECONDS ?? 6);
const WARMUP_S = 2;
const ROUNDS = Number(process.env.PROXY_BENCH_ROUNDS ?? 5);
// Node options for the proxy processes only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where a case spends its time.
const PROXY_NODE_ARGS = (process.env.PROXY_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const ADMIN_SECRET = "dl_admin_bench-proxy-0123456789abcdef";
const cliMain = fileURLToPath(new URL("../../packages/cli/dist/main.js", import.meta.url));
const backendsScript = fileURLToPath(new URL("./proxy-backends.js", import.meta.url));

interface CaseResult {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  peakMiB: number | undefined;
  mirrored: number | undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function darkCount(url: string | undefined): Promise<number | undefined> {
  if (url === undefined) return undefined;
  const { text } = await get(`${url}/__count`);
  return (JSON.parse(text) as { count: number }).count;
}

async function load(url: string): Promise<{ reqPerSec: number; p50: number; p99: number; errors: number; non2xx: number }> {
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_S });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S });
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

interface Setup {
  server: { url: string };
  sdkToken: string;
  stable: string;
  darkFast: string;
  darkSlow: string;
  darkDown: string;
}

async function setUp(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-proxy-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServerProcess({ sqlitePath: join(dir, "darklaunch.db"), adminToken: ADMIN_SECRET });
  onCleanup(() => kill(server.child));
  for (const [key, variant] of [
    ["bench-shadow", "shadow"],
    ["bench-off", "stable"],
  ] as const) {
    await expectStatus(
      201,
      apiRequest(server, "POST", "/api/v1/flags", {
        key,
        variants: { stable: "stable", shadow: "shadow" },
        offVariant: "stable",
        enabled: true,
        fallthrough: { variant },
      }),
    );
  }
  const token = (await expectStatus(201, apiRequest(server, "POST", "/api/v1/tokens", { name: "bench-proxy", scope: "sdk" }))) as {
    secret: string;
  };
  const stableChild = spawnChild(process.execPath, [backendsScript, "stable"]);
  onCleanup(() => kill(stableChild));
  const darkChild = spawnChild(process.execPath, [backendsScript, "dark"]);
  onCleanup(() => kill(darkChild));
  const { stable } = await firstJsonLine<{ stable: string }>(stableChild, "stable backend");
  const { darkFast, darkSlow } = await firstJsonLine<{ darkFast: string; darkSlow: string }>(darkChild, "dark backends");
  // A port nobody listens on: connections are refused at once.
  const darkDown = `http://127.0.0.1:${await freePort()}`;
  return { server, sdkToken: token.secret, stable, darkFast, darkSlow, darkDown };
}

async function runCase(name: string, url: string, pid: number | undefined, dark: string | undefined): Promise<CaseResult> {
  const before = await darkCount(dark);
  const measured = await load(url);
  const after = await darkCount(dark);
  const mirrored = before === undefined || after === undefined ? undefined : after - before;
  return { name, ...measured, peakMiB: peakRssMiB(pid), mirrored };
}

async function proxyCase(setup: Setup, name: string, flag: string, dark: string, counted: string | undefined): Promise<CaseResult> {
  const port = await freePort();
  const adminPort = await freePort();
  const child = spawnChild(
    process.execPath,
    [
      ...PROXY_NODE_ARGS,
      cliMain,
      "proxy",
      "--flag",
      flag,
      "--stable",
      setup.stable,
      "--dark",
      dark,
      "--listen",
      `127.0.0.1:${port}`,
      "--admin-listen",
      `127.0.0.1:${adminPort}`,
      "--timeout",
      "1000",
    ],
    { env: { ...process.env, DARKLAUNCH_URL: setup.server.url, DARKLAUNCH_TOKEN: setup.sdkToken }, stdio: ["ignore", "ignore", "inherit"] },
  );
  try {
    const url = `http://127.0.0.1:${port}/orders/1842`;
    await waitFor(`proxy (${name})`, async () => (await get(url)).status === 200);
    // The proxy must hold the flag before the measurement: in shadow cases a request reaches dark.
    if (flag === "bench-shadow" && counted !== undefined) {
      const start = (await darkCount(counted)) ?? 0;
      await waitFor(`mirroring (${name})`, async () => {
        await get(url);
        return ((await darkCount(counted)) ?? 0) > start;
      });
    }
    return await runCase(name, url, child.pid, counted);
  } finally {
    await kill(child, "SIGTERM");
  }
}

function nginxPath(): string | undefined {
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx"]) {
    try {
      execFileSync(candidate, ["-v"], { stdio: "ignore" });
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function nginxCase(binary: string, setup: Setup, name: string, dark: string, counted: string | undefined): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-nginx-"));
  const port = await freePort();
  const stable = new URL(setup.stable);
  const darkUrl = new URL(dark);
  // One worker, like our single proxy process; keep-alive to both upstreams; the mirror with the
  // same 1 s timeout as our proxy.
  writeFileSync(
    join(dir, "nginx.conf"),
    `
worker_processes 1;
daemon off;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream stable { server ${stable.host}; keepalive 64; }
  upstream dark { server ${darkUrl.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      mirror /__mirror;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://stable;
    }
    location = /__mirror {
      internal;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Dark-Launch shadow;
      proxy_connect_timeout 1s;
      proxy_read_timeout 1s;
      proxy_pass http://dark$request_uri;
    }
  }
}
`,
  );
  const child = spawnChild(binary, ["-c", join(dir, "nginx.conf"), "-p", dir], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    const url = `http://127.0.0.1:${port}/orders/1842`;
    await waitFor(`nginx (${name})`, async () => (await get(url)).status === 200);
    const result = await runCase(name, url, undefined, counted);
    result.peakMiB = nginxWorkerPeak(child.pid);
    return result;
  } finally {
    await kill(child, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** nginx's memory is its master plus the worker: both peaks, from /proc. */
function nginxWorkerPeak(masterPid: number | undefined): number | undefined {
  if (masterPid === undefined) return undefined;
  try {
    const workers = execFileSync("pgrep", ["-P", String(masterPid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter(Boolean)
      .map(Number);
    return [masterPid, ...workers].reduce((sum, pid) => sum + (peakRssMiB(pid) ?? 0), 0);
  } catch {
    return peakRssMiB(masterPid);
  }
}

function row(r: CaseResult, base: CaseResult | undefined): string {
  const ratio = base === undefined ? "" : `${(r.reqPerSec / base.reqPerSec).toFixed(2)}×`;
  return [
    r.name.padEnd(34),
    r.reqPerSec.toFixed(0).padStart(8),
    ratio.padStart(7),
    `${r.p50.toFixed(1)}`.padStart(7),
    `${r.p99.toFixed(1)}`.padStart(7),
    formatMiB(r.peakMiB).padStart(11),
    String(r.mirrored ?? "—").padStart(9),
    String(r.errors + r.non2xx).padStart(7),
  ].join(" ");
}

function verdict(ok: boolean): string {
  return ok ? "PASS" : "FAIL";
}

/** The middle element of a non-empty list sorted by `key`. */
function middle<T>(items: readonly T[], key: (item: T) => number): T {
  return items.slice().sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)] as T;
}

/** The median run of a case by throughput (its latencies with it), with the highest peak memory of all runs. */
function median(runs: CaseResult[]): CaseResult {
  const peaks = runs.map((r) => r.peakMiB).filter((m): m is number => m !== undefined);
  return { ...middle(runs, (r) => r.reqPerSec), peakMiB: peaks.length === 0 ? undefined : Math.max(...peaks) };
}

/**
 * `combine(a, b)` per round, a and b from the same round, as the median with the range: a ratio of
 * two cases measured minutes apart carries the machine's drift; within a round it does not.
 */
function withinRounds(
  a: readonly CaseResult[],
  b: readonly CaseResult[],
  combine: (a: CaseResult, b: CaseResult) => number,
): { median: number; range: string } {
  const values = a.map((run, i) => combine(run, b[i] as CaseResult));
  const sorted = values.slice().sort((x, y) => x - y);
  const half = Math.floor(sorted.length / 2);
  // An even number of rounds takes the mean of the middle two, not the kinder one.
  const median = sorted.length % 2 === 1 ? (sorted[half] as number) : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
  return { median, range: `${(sorted[0] as number).toFixed(2)}–${(sorted[sorted.length - 1] as number).toFixed(2)}` };
}

const throughputRatio = (a: CaseResult, b: CaseResult) => a.reqPerSec / b.reqPerSec;
const p99Ratio = (a: CaseResult, b: CaseResult) => a.p99 / Math.max(b.p99, 1e-9);
const p99Difference = (a: CaseResult, b: CaseResult) => a.p99 - b.p99;

async function main(): Promise<void> {
  console.log(
    `darklaunch bench:proxy — node ${process.version}; ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per case, ${ROUNDS} rounds (cases interleaved, median run reported); every part in its own process on 127.0.0.1`,
  );
  const setup = await setUp();
  const nginx = nginxPath();
  if (nginx === undefined) console.log("nginx is not installed: its rows are skipped (Debian: apt-get install nginx-light)");
  const cases: [string, () => Promise<CaseResult>][] = [
    ["direct to stable", () => runCase("direct to stable", `${setup.stable}/orders/1842`, undefined, undefined)],
    ["off", () => proxyCase(setup, "darklaunch proxy, shadowing off", "bench-off", setup.darkFast, setup.darkFast)],
    ["fast", () => proxyCase(setup, "darklaunch shadow 100 %, fast dark", "bench-shadow", setup.darkFast, setup.darkFast)],
    ["slow", () => proxyCase(setup, "darklaunch shadow 100 %, dark 200 ms", "bench-shadow", setup.darkSlow, setup.darkSlow)],
    ["down", () => proxyCase(setup, "darklaunch shadow 100 %, dark down", "bench-shadow", setup.darkDown, undefined)],
  ];
  if (nginx !== undefined) {
    cases.push(
      ["nginx fast", () => nginxCase(nginx, setup, "nginx mirror, fast dark", setup.darkFast, setup.darkFast)],
      ["nginx slow", () => nginxCase(nginx, setup, "nginx mirror, dark 200 ms", setup.darkSlow, setup.darkSlow)],
      ["nginx down", () => nginxCase(nginx, setup, "nginx mirror, dark down", setup.darkDown, undefined)],
    );
  }
  // Rounds interleave the cases, so a slow minute of a shared machine hits every case alike.
  const runs = new Map<string, CaseResult[]>(cases.map(([id]) => [id, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [id, run] of cases) {
      const result = await run();
      runs.get(id)?.push(result);
      console.log(`  round ${round}: ${result.name.padEnd(34)} ${result.reqPerSec.toFixed(0).padStart(7)} req/s, p99 ${result.p99} ms`);
    }
  }
  const results = cases.map(([id]) => median(runs.get(id) ?? []));
  const byId = new Map(cases.map(([id], i) => [id, results[i] as CaseResult]));
  const off = byId.get("off") as CaseResult;
  const fast = byId.get("fast") as CaseResult;
  const slow = byId.get("slow") as CaseResult;
  const down = byId.get("down") as CaseResult;
  const nginxFast = byId.get("nginx fast");

  console.log(
    `\n${"case".padEnd(34)} ${"req/s".padStart(8)} ${"÷ off".padStart(7)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)} ${"peak RSS".padStart(11)} ${"mirrored".padStart(9)} ${"errors".padStart(7)}`,
  );
  for (const r of results) console.log(row(r, off));
  console.log("\n(peak RSS: the proxy process; for nginx master + worker. autocannon reports latency in whole milliseconds.)");
  console.log("\nTargets (issue #5), each taken within a round: the median of the rounds, with their range:");
  const rounds = (id: string): CaseResult[] => runs.get(id) ?? [];
  if (nginxFast !== undefined) {
    const vsNginx = withinRounds(rounds("fast"), rounds("nginx fast"), throughputRatio);
    console.log(
      `  shadow on, fast dark ≥ nginx's throughput: ${vsNginx.median.toFixed(2)}× (rounds ${vsNginx.range}) → ${verdict(vsNginx.median >= 1)}`,
    );
  }
  for (const [id, r] of [
    ["slow", slow],
    ["down", down],
  ] as const) {
    const t = withinRounds(rounds(id), rounds("off"), throughputRatio);
    const p = withinRounds(rounds(id), rounds("off"), p99Ratio);
    const d = withinRounds(rounds(id), rounds("off"), p99Difference);
    console.log(
      `  ${r.name}: throughput ${t.median.toFixed(2)}× shadow-off (rounds ${t.range}; ≥ 0.9 → ${verdict(t.median >= 0.9)}), p99 ${p.median.toFixed(2)}× (rounds ${p.range}; ≤ 1.2 → ${verdict(p.median <= 1.2)}), p99 − off ${d.median.toFixed(1)} ms (rounds ${d.range}; DESIGN §7: ≤ 1 ms)`,
    );
  }
  console.log(
    `  memory bounded: peak RSS off ${formatMiB(off.peakMiB)}, fast ${formatMiB(fast.peakMiB)}, 200 ms ${formatMiB(slow.peakMiB)}, down ${formatMiB(down.peakMiB)}`,
  );
}

try {
  await main();
} finally {
  await runCleanups();
  closeApi();
}
