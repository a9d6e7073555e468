/**
 * `npm run bench:proxy` (issue #16, bench/README.md): what the shadow proxy costs the stable path. Every
 * case drives the same closed-loop load (wrk, written in C, CONNECTIONS connections; autocannon
 * only when wrk cannot be had, and the output says so) for DURATION seconds after a warm-up,
 * against: the stable backend directly; a bare Node floor (proxy-floor.ts: node:http + undici
 * dispatch, no features) without and with a fire-and-forget mirror; our proxy with shadowing off,
 * shadowing at 100 % with a fast dark backend, a dark backend answering after 200 ms and one that is
 * down; the shadowing-off case with `--workers 2`; and nginx `proxy_pass` and `mirror` (installed
 * from Debian when missing and allowed). Backends, proxies (a fresh process per case, so peak
 * memory is the case's own) and the control plane each run in a process of their own. Per case:
 * req/s, p50/p99, peak RSS and the proxy's CPU µs per request (from /proc, over the measured run).
 * The cases run in ROUNDS interleaved rounds (PROXY_BENCH_ROUNDS, default 7); each case reports its
 * median run, and every target is judged on the median of ratios taken within a round: on a
 * shared machine one noisy minute then costs the cases compared alike instead of deciding a
 * comparison. The slow- and down-dark targets (within 10 % of shadowing off) are judged in one
 * proxy process instead (sameProcess): separate processes differ by more than that here.
 * PROXY_BENCH_CASES=id,id… runs a subset; PROXY_BENCH_BASELINE_CLI=…/cli/dist/main.js
 * adds the shadowing-off and fast cases of another build (before/after in one run);
 * PROXY_BENCH_NODE_ARGS passes Node options to the proxy processes alone (a CPU profile per case).
 * PROXY_BENCH_INSTRUCTIONS=1 counts instructions per request instead (proxy-instructions.ts).
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { intKnob, listKnob } from "./env-knobs.js";
import {
  apiRequest,
  closeApi,
  expectStatus,
  firstJsonLine,
  formatMiB,
  kill,
  onCleanup,
  runCleanups,
  spawnChild,
  startServerProcess,
} from "./processes.js";
import { INSTRUCTION_PLAN, INSTRUCTIONS, instructionsPerRequest, proxyCommand } from "./proxy-instructions.js";
import { cpuMicros, ensureInstalled, type Generator, peakMiB, processTree, runLoad } from "./proxy-load.js";

const CONNECTIONS = intKnob("PROXY_BENCH_CONNECTIONS", 50);
const DURATION_S = intKnob("PROXY_BENCH_SECONDS", 6);
const WARMUP_S = 2;
const ROUNDS = INSTRUCTIONS ? 1 : intKnob("PROXY_BENCH_ROUNDS", 7);
/** Pairs of runs in the same-process comparison of slow and down dark with shadowing off, and their length. */
const PAIRS = intKnob("PROXY_BENCH_PAIRS", 8);
const PAIR_RUN_S = 2;
/** Under callgrind a proxy starts and answers tens of times slower. */
const READY_TIMEOUT_MS = INSTRUCTIONS ? 180_000 : 20_000;
// Node options for the proxy processes only (ours and the floor), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where a case spends its time.
const PROXY_NODE_ARGS = (process.env.PROXY_BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const BASELINE_CLI = process.env.PROXY_BENCH_BASELINE_CLI;
const ADMIN_SECRET = "dl_admin_bench-proxy-0123456789abcdef";
const cliMain = fileURLToPath(new URL("../../packages/cli/dist/main.js", import.meta.url));
const backendsScript = fileURLToPath(new URL("./proxy-backends.js", import.meta.url));
const floorScript = fileURLToPath(new URL("./proxy-floor.js", import.meta.url));

let generator: Generator = "wrk";

interface CaseResult {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  peakMiB: number | undefined;
  /** CPU time of the proxy's processes per request served, µs; undefined for the backend itself. */
  cpuPerRequest: number | undefined;
  mirrored: number | undefined;
  /** One-process pairs: the dark backends' CPU over the run, in % of one core. */
  darkCpuPercent?: number;
  /** PROXY_BENCH_INSTRUCTIONS: instructions per request of the proxy process, per batch. */
  instructions?: number[];
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

let callgrindOut: string | undefined;
/** Where callgrind writes its dumps (PROXY_BENCH_INSTRUCTIONS), removed at the end. */
function callgrindDir(): string {
  if (callgrindOut === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-callgrind-"));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    callgrindOut = dir;
  }
  return callgrindOut;
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

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
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

/** Warm-up, then the measured run, with the CPU the processes `pids` spent during it. */
async function measure(name: string, url: string, pids: () => number[], dark: string | undefined): Promise<CaseResult> {
  if (INSTRUCTIONS) {
    const [pid] = pids();
    if (pid === undefined) throw new Error(`${name}: no process to count instructions of`);
    const instructions = await instructionsPerRequest(url, pid, callgrindDir());
    const none = Number.NaN;
    return {
      name,
      reqPerSec: none,
      p50: none,
      p99: none,
      errors: 0,
      non2xx: 0,
      peakMiB: undefined,
      cpuPerRequest: undefined,
      mirrored: undefined,
      instructions,
    };
  }
  await runLoad(generator, url, CONNECTIONS, WARMUP_S);
  return measuredRun(name, url, pids(), dark, DURATION_S);
}

/** One measured run of `seconds` against `url`, with the CPU the processes `tree` spent during it. */
async function measuredRun(name: string, url: string, tree: number[], dark: string | undefined, seconds: number): Promise<CaseResult> {
  const before = await darkCount(dark);
  const cpuBefore = cpuMicros(tree);
  const load = await runLoad(generator, url, CONNECTIONS, seconds);
  const cpu = cpuMicros(tree) - cpuBefore;
  const after = await darkCount(dark);
  return {
    name,
    reqPerSec: load.reqPerSec,
    p50: load.p50,
    p99: load.p99,
    errors: load.errors,
    non2xx: load.non2xx,
    peakMiB: tree.length === 0 ? undefined : peakMiB(tree),
    cpuPerRequest: tree.length === 0 || load.requests === 0 ? undefined : cpu / load.requests,
    mirrored: before === undefined || after === undefined ? undefined : after - before,
  };
}

interface Setup {
  server: { url: string };
  sdkToken: string;
  stable: string;
  darkFast: string;
  darkSlow: string;
  darkDown: string;
  /** The dark backends' process: it shares the cores, so its CPU is shown beside the one-process pairs. */
  darkPid: number | undefined;
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
  return { server, sdkToken: token.secret, stable, darkFast, darkSlow, darkDown, darkPid: darkChild.pid };
}

interface ProxyCase {
  name: string;
  flag: string;
  dark: string;
  counted: string | undefined;
  cli?: string;
  workers?: number;
}

async function proxyCase(setup: Setup, { name, flag, dark, counted, cli = cliMain, workers }: ProxyCase): Promise<CaseResult> {
  const port = await freePort();
  const adminPort = await freePort();
  const child = spawnChild(
    ...proxyCommand(
      [
        ...PROXY_NODE_ARGS,
        cli,
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
        ...(workers === undefined ? [] : ["--workers", String(workers)]),
      ],
      callgrindDir,
    ),
    { env: { ...process.env, DARKLAUNCH_URL: setup.server.url, DARKLAUNCH_TOKEN: setup.sdkToken }, stdio: ["ignore", "ignore", "inherit"] },
  );
  try {
    const url = `http://127.0.0.1:${port}/orders/1842`;
    await waitFor(`proxy (${name})`, async () => (await get(url)).status === 200);
    if (flag === "bench-shadow") await untilMirroring(name, url, counted);
    const pid = child.pid;
    return await measure(name, url, () => (pid === undefined ? [] : processTree(pid)), counted);
  } finally {
    await kill(child, "SIGTERM");
  }
}

/** The proxy must hold the flag before a measurement: a request to `url` reaches dark (when dark counts). */
async function untilMirroring(name: string, url: string, counted: string | undefined): Promise<void> {
  if (counted === undefined) return;
  const start = (await darkCount(counted)) ?? 0;
  await waitFor(`mirroring (${name})`, async () => {
    await get(url);
    return ((await darkCount(counted)) ?? 0) > start;
  });
}

/** Shadowing off and shadowing to one dark, measured in turn in one proxy process. */
interface SameProcess {
  name: string;
  /** Pair i of `off` and of `shadow` ran seconds apart; their order alternates with i. */
  off: CaseResult[];
  shadow: CaseResult[];
}

/** A proxy process serving `/off/…` without a mirror and `/shadow/…` with one. */
interface PairedProxy {
  child: ChildProcess;
  /** `http://127.0.0.1:port`. */
  base: string;
  /** Mirrors in flight now. */
  inFlight(): Promise<number>;
}

/**
 * Slow or down dark against shadowing off in ONE proxy process, loaded in turn in short runs (off
 * first in even pairs, shadow first in odd ones), each run starting with no mirror in flight.
 * Separate processes of the same build and case differ by up to ±20 % here (JIT, placement, a
 * neighbour's minute), more than the 10 % these targets allow; runs seconds apart in one process
 * share all of that.
 */
async function sameProcess(setup: Setup, name: string, counted: string | undefined, proxy: PairedProxy): Promise<SameProcess> {
  try {
    const off = `${proxy.base}/off/orders/1842`;
    const shadow = `${proxy.base}/shadow/orders/1842`;
    await waitFor(`proxy (${name})`, async () => (await get(off)).status === 200 && (await get(shadow)).status === 200);
    await untilMirroring(name, shadow, counted);
    await runLoad(generator, off, CONNECTIONS, WARMUP_S);
    await runLoad(generator, shadow, CONNECTIONS, WARMUP_S);
    const tree = proxy.child.pid === undefined ? [] : [proxy.child.pid];
    const dark = setup.darkPid === undefined ? [] : [setup.darkPid];
    const result: SameProcess = { name, off: [], shadow: [] };
    const run = async (which: "off" | "shadow") => {
      // What the last shadow run left in flight would otherwise end (and be compared) inside the next run.
      await waitFor(`no mirror in flight (${name})`, async () => (await proxy.inFlight()) === 0);
      const [darkBefore, started] = [cpuMicros(dark), performance.now()];
      const r = await measuredRun(`${name}: ${which}`, which === "off" ? off : shadow, tree, counted, PAIR_RUN_S);
      r.darkCpuPercent = dark.length === 0 ? undefined : ((cpuMicros(dark) - darkBefore) / 1000 / (performance.now() - started)) * 100;
      result[which].push(r);
    };
    for (let pair = 0; pair < PAIRS; pair++) {
      for (const which of pair % 2 === 0 ? (["off", "shadow"] as const) : (["shadow", "off"] as const)) await run(which);
      const [o, s] = [result.off[pair] as CaseResult, result.shadow[pair] as CaseResult];
      console.log(
        `  pair ${pair + 1}: ${name.padEnd(26)} off ${o.reqPerSec.toFixed(0).padStart(6)} req/s, p99 ${o.p99.toFixed(2).padStart(6)} ms; shadow ${s.reqPerSec.toFixed(0).padStart(6)} req/s, p99 ${s.p99.toFixed(2).padStart(6)} ms${s.mirrored === undefined ? "" : `, ${s.mirrored} mirrored`}; dark backends' CPU ${percent(o.darkCpuPercent)} → ${percent(s.darkCpuPercent)} of a core`,
      );
    }
    return result;
  } finally {
    await kill(proxy.child, "SIGTERM");
  }
}

/** Our proxy with two routes: `/off` under the flag that is off, `/shadow` under the one that shadows to `dark`. */
async function ourPairedProxy(setup: Setup, dark: string): Promise<PairedProxy> {
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-pairs-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const adminPort = await freePort();
  const route = (key: string, flag: string) => ({
    name: key,
    match: { pathPrefix: `/${key}` },
    flag,
    stable: setup.stable,
    dark,
    timeoutMs: 1000,
  });
  const config = join(dir, "proxy.json");
  writeFileSync(
    config,
    JSON.stringify({
      listen: `127.0.0.1:${port}`,
      adminListen: `127.0.0.1:${adminPort}`,
      controlPlane: { url: setup.server.url, token: setup.sdkToken },
      // Off first: the shadow route's requests pay the one extra route match, not off's.
      routes: [route("off", "bench-off"), route("shadow", "bench-shadow")],
    }),
  );
  const child = spawnChild(process.execPath, [...PROXY_NODE_ARGS, cliMain, "proxy", "--config", config], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    inFlight: async () => mirrorsInFlight((await get(`http://127.0.0.1:${adminPort}/metrics`)).text),
  };
}

/** The bare floor mirroring `/shadow` alone to `dark`. */
async function floorPairedProxy(setup: Setup, dark: string): Promise<PairedProxy> {
  const { child, base } = await startFloor(setup, dark, ["--mirror-prefix", "/shadow"]);
  return { child, base, inFlight: async () => Number((await get(`${base}/__inflight`)).text) };
}

/** A bare floor process (proxy-floor.ts) in front of stable, mirroring to `dark` when given; `options` are more of its own. */
async function startFloor(
  setup: Setup,
  dark: string | undefined,
  options: readonly string[] = [],
): Promise<{ child: ChildProcess; base: string }> {
  const child = spawnChild(
    ...proxyCommand(
      [...PROXY_NODE_ARGS, floorScript, "--stable", setup.stable, ...(dark === undefined ? [] : ["--dark", dark]), ...options],
      callgrindDir,
    ),
  );
  const { url: base } = await firstJsonLine<{ url: string }>(child, "floor");
  return { child, base };
}

/** darklaunch_proxy_mirror_inflight from a /metrics text (summed over its series). */
function mirrorsInFlight(metrics: string): number {
  let sum = 0;
  for (const m of metrics.matchAll(/^darklaunch_proxy_mirror_inflight(?:\{[^}]*\})? (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

async function floorCase(setup: Setup, name: string, dark: string | undefined): Promise<CaseResult> {
  const { child, base } = await startFloor(setup, dark);
  try {
    const url = `${base}/orders/1842`;
    await waitFor(`floor (${name})`, async () => (await get(url)).status === 200);
    const pid = child.pid;
    return await measure(name, url, () => (pid === undefined ? [] : [pid]), dark);
  } finally {
    // SIGTERM: the floor exits on its own, so a `--cpu-prof` profile is written.
    await kill(child, "SIGTERM");
  }
}

function nginxPath(): string | undefined {
  ensureInstalled("nginx", "nginx-light");
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

async function nginxCase(
  binary: string,
  setup: Setup,
  name: string,
  dark: string | undefined,
  counted: string | undefined,
): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-nginx-"));
  const port = await freePort();
  const stable = new URL(setup.stable);
  const darkHost = dark === undefined ? stable.host : new URL(dark).host;
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
  upstream dark { server ${darkHost}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      ${dark === undefined ? "" : "mirror /__mirror;"}
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
    const pid = child.pid;
    return await measure(name, url, () => (pid === undefined ? [] : processTree(pid)), counted);
  } finally {
    await kill(child, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(r: CaseResult, base: CaseResult | undefined): string {
  const ratio = base === undefined ? "" : `${(r.reqPerSec / base.reqPerSec).toFixed(2)}×`;
  return [
    r.name.padEnd(40),
    r.reqPerSec.toFixed(0).padStart(8),
    ratio.padStart(7),
    `${r.p50.toFixed(2)}`.padStart(7),
    `${r.p99.toFixed(2)}`.padStart(7),
    (r.cpuPerRequest === undefined ? "—" : r.cpuPerRequest.toFixed(0)).padStart(7),
    formatMiB(r.peakMiB).padStart(11),
    String(r.mirrored ?? "—").padStart(9),
    String(r.errors + r.non2xx).padStart(7),
  ].join(" ");
}

const percent = (x: number | undefined) => (x === undefined ? "—" : `${x.toFixed(0)} %`);

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
const cpuRatio = (a: CaseResult, b: CaseResult) => (a.cpuPerRequest ?? Number.NaN) / (b.cpuPerRequest ?? Number.NaN);

/** PROXY_BENCH_INSTRUCTIONS: instructions per request of the floor and of ours, and their ratios. */
async function instructionsReport(all: [string, () => Promise<CaseResult>][], only: string[] | undefined): Promise<void> {
  if (!ensureInstalled("valgrind", "valgrind")) throw new Error("PROXY_BENCH_INSTRUCTIONS needs valgrind (apt-get install valgrind)");
  const ids = only ?? ["floor", "off", "floor mirror", "fast"];
  const results = new Map<string, CaseResult>();
  console.log(`instructions per request (callgrind; ${INSTRUCTION_PLAN}):`);
  for (const [id, run] of all.filter(([id]) => ids.includes(id))) {
    const result = await run();
    results.set(id, result);
    const batches = result.instructions ?? [];
    console.log(`  ${result.name.padEnd(40)} ${batches.map((n) => Math.round(n).toLocaleString("en")).join(" / ")}`);
  }
  const middle = (r: CaseResult | undefined) => {
    const xs = r?.instructions?.slice().sort((a, b) => a - b);
    return xs === undefined || xs.length === 0 ? undefined : (xs[Math.floor(xs.length / 2)] as number);
  };
  const ratio = (label: string, a: string, b: string, bound: number) => {
    const x = middle(results.get(a));
    const y = middle(results.get(b));
    if (x === undefined || y === undefined) return;
    console.log(`  ${label}: ${(x / y).toFixed(2)}× (median batches; ≤ ${bound.toFixed(2)}) → ${verdict(x / y <= bound)}`);
  };
  console.log("Targets (issue #16), CPU per request as instructions:");
  ratio("shadowing off ÷ floor", "off", "floor", 1.3);
  // The fast-dark target is on throughput (≥ 0.75×); as CPU per request that is at most 1 / 0.75.
  ratio("fast dark ÷ floor with mirror", "fast", "floor mirror", 1 / 0.75);
}

async function main(): Promise<void> {
  if (!ensureInstalled("wrk", "wrk")) generator = "autocannon";
  const nginx = nginxPath();
  console.log(
    `darklaunch bench:proxy — node ${process.version}; load generator: ${generator === "wrk" ? "wrk (C), 1 thread" : "AUTOCANNON (fallback: wrk is not installed; it runs in Node on the same cores and hides part of the proxy's cost)"}; ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per case, ${ROUNDS} rounds (cases interleaved, median run reported); every part in its own process on 127.0.0.1; ${cpus().length} cores shared by the generator, backends and proxy; load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const setup = await setUp();
  if (nginx === undefined) console.log("nginx is not installed: its rows are skipped (Debian: apt-get install nginx-light)");
  const off = { flag: "bench-off", dark: setup.darkFast, counted: setup.darkFast };
  const fast = { flag: "bench-shadow", dark: setup.darkFast, counted: setup.darkFast };
  const all: [string, () => Promise<CaseResult>][] = [
    ["direct", () => measure("direct to stable", `${setup.stable}/orders/1842`, () => [], undefined)],
    ["floor", () => floorCase(setup, "bare floor (node:http + undici)", undefined)],
    ["floor mirror", () => floorCase(setup, "bare floor + mirror, fast dark", setup.darkFast)],
    ["off", () => proxyCase(setup, { name: "darklaunch, shadowing off", ...off })],
    ["fast", () => proxyCase(setup, { name: "darklaunch shadow 100 %, fast dark", ...fast })],
    [
      "slow",
      () => proxyCase(setup, { name: "darklaunch shadow 100 %, dark 200 ms", ...fast, dark: setup.darkSlow, counted: setup.darkSlow }),
    ],
    ["down", () => proxyCase(setup, { name: "darklaunch shadow 100 %, dark down", ...fast, dark: setup.darkDown, counted: undefined })],
    ["off w2", () => proxyCase(setup, { name: "darklaunch, shadowing off, --workers 2", ...off, workers: 2 })],
  ];
  if (BASELINE_CLI !== undefined) {
    all.push(
      ["before off", () => proxyCase(setup, { name: "BEFORE: shadowing off", ...off, cli: BASELINE_CLI })],
      ["before fast", () => proxyCase(setup, { name: "BEFORE: shadow 100 %, fast dark", ...fast, cli: BASELINE_CLI })],
    );
  }
  if (nginx !== undefined) {
    all.push(
      ["nginx", () => nginxCase(nginx, setup, "nginx proxy_pass", undefined, undefined)],
      ["nginx fast", () => nginxCase(nginx, setup, "nginx mirror, fast dark", setup.darkFast, setup.darkFast)],
      ["nginx slow", () => nginxCase(nginx, setup, "nginx mirror, dark 200 ms", setup.darkSlow, setup.darkSlow)],
      ["nginx down", () => nginxCase(nginx, setup, "nginx mirror, dark down", setup.darkDown, undefined)],
    );
  }
  // Slow and down dark against shadowing off, each in one process (sameProcess): their targets are judged on these.
  const pairCases = [
    ["slow pairs", "darklaunch, dark 200 ms", setup.darkSlow, setup.darkSlow, ourPairedProxy],
    ["down pairs", "darklaunch, dark down", setup.darkDown, undefined, ourPairedProxy],
    ["floor slow pairs", "bare floor, dark 200 ms", setup.darkSlow, setup.darkSlow, floorPairedProxy],
  ] as const;
  const only = listKnob("PROXY_BENCH_CASES", [...all.map(([id]) => id), ...pairCases.map(([id]) => id)]);
  if (INSTRUCTIONS) {
    await instructionsReport(all, only);
    return;
  }
  const cases = only === undefined ? all : all.filter(([id]) => only.includes(id));
  // Rounds interleave the cases, so a slow minute of a shared machine hits every case alike; each
  // round starts one case later than the one before, so no case always runs first or after another's wind-down.
  const runs = new Map<string, CaseResult[]>(cases.map(([id]) => [id, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    const shift = (round - 1) % cases.length;
    for (const [id, run] of [...cases.slice(shift), ...cases.slice(0, shift)]) {
      const result = await run();
      runs.get(id)?.push(result);
      console.log(
        `  round ${round}: ${result.name.padEnd(40)} ${result.reqPerSec.toFixed(0).padStart(7)} req/s, p99 ${result.p99.toFixed(2)} ms, ${result.cpuPerRequest?.toFixed(0) ?? "—"} µs CPU/req`,
      );
    }
  }
  const pairs = new Map<string, SameProcess>();
  for (const [id, name, dark, counted, start] of pairCases) {
    if (only === undefined || only.includes(id)) pairs.set(id, await sameProcess(setup, name, counted, await start(setup, dark)));
  }
  const byId = new Map(cases.map(([id]) => [id, median(runs.get(id) ?? [])]));
  const base = byId.get("floor") ?? byId.get("off");
  console.log(
    `\n${"case".padEnd(40)} ${"req/s".padStart(8)} ${"÷ floor".padStart(7)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)} ${"µs/req".padStart(7)} ${"peak RSS".padStart(11)} ${"mirrored".padStart(9)} ${"errors".padStart(7)}`,
  );
  for (const r of byId.values()) console.log(row(r, base));
  console.log(
    "\n(µs/req: user + system CPU of the proxy's processes over the measured run ÷ requests served; peak RSS: the proxy's processes — nginx master + worker, our primary + workers.)",
  );

  console.log("\nTargets (issue #16), each a ratio taken within a round (or a one-process pair): the median, with the range:");
  const rounds = (id: string): CaseResult[] | undefined => (runs.has(id) ? runs.get(id) : undefined);
  const judge = (label: string, t: { median: number; range: string }, of: string, ok?: (m: number) => boolean, bound = "") => {
    const judged = ok === undefined ? "" : `; ${bound}) → ${verdict(ok(t.median))}`;
    console.log(`  ${label}: ${t.median.toFixed(2)}× (${of} ${t.range}${judged === "" ? ")" : judged}`);
  };
  const check = (label: string, a: string, b: string, combine: typeof throughputRatio, ok?: (m: number) => boolean, bound = "") => {
    const x = rounds(a);
    const y = rounds(b);
    if (x === undefined || y === undefined) return;
    judge(label, withinRounds(x, y, combine), "rounds", ok, bound);
  };
  check("shadowing off ÷ floor, req/s", "off", "floor", throughputRatio, (m) => m >= 0.8, "≥ 0.8");
  check("shadowing off ÷ floor, CPU per request", "off", "floor", cpuRatio, (m) => m <= 1.3, "≤ 1.3");
  check("shadowing off ÷ floor, p99", "off", "floor", p99Ratio, (m) => m <= 1.5, "≤ 1.5");
  check("fast dark ÷ floor with mirror, req/s", "fast", "floor mirror", throughputRatio, (m) => m >= 0.75, "≥ 0.75");
  for (const pair of [pairs.get("slow pairs"), pairs.get("down pairs")]) {
    if (pair === undefined) continue;
    judge(`${pair.name}: shadowing ÷ off, req/s`, withinRounds(pair.shadow, pair.off, throughputRatio), "pairs", (m) => m >= 0.9, "≥ 0.9");
    judge(`${pair.name}: shadowing ÷ off, p99`, withinRounds(pair.shadow, pair.off, p99Ratio), "pairs", (m) => m <= 1.5, "≤ 1.5");
    judge(`${pair.name}: shadowing ÷ off, CPU per request`, withinRounds(pair.shadow, pair.off, cpuRatio), "pairs");
  }
  console.log("Beside them (the budgets in bench/README.md against nginx, and what the floor itself reaches):");
  for (const id of ["slow", "down"]) {
    // Separate processes, a case apart: the same ratios as the pairs above, with the noise of two processes in them.
    check(`${byId.get(id)?.name} ÷ shadowing off, separate processes, req/s`, id, "off", throughputRatio);
    check(`${byId.get(id)?.name} ÷ shadowing off, separate processes, p99`, id, "off", p99Ratio);
  }
  const floorSlow = pairs.get("floor slow pairs");
  if (floorSlow !== undefined) {
    // What Node itself allows: the same slow dark behind the bare floor's bounded mirror.
    judge(`${floorSlow.name}: mirror ÷ none, req/s`, withinRounds(floorSlow.shadow, floorSlow.off, throughputRatio), "pairs");
    judge(`${floorSlow.name}: mirror ÷ none, p99`, withinRounds(floorSlow.shadow, floorSlow.off, p99Ratio), "pairs");
    judge(`${floorSlow.name}: mirror ÷ none, CPU per request`, withinRounds(floorSlow.shadow, floorSlow.off, cpuRatio), "pairs");
  }
  check("shadowing off ÷ nginx proxy_pass, req/s", "off", "nginx", throughputRatio, (m) => m >= 0.8, "≥ 0.8");
  check("fast dark ÷ nginx mirror, req/s", "fast", "nginx fast", throughputRatio, (m) => m >= 1.2, "≥ 1.2");
  check("floor ÷ nginx proxy_pass, req/s", "floor", "nginx", throughputRatio);
  check("floor with mirror ÷ nginx mirror, req/s", "floor mirror", "nginx fast", throughputRatio);
  check("--workers 2 ÷ --workers 1 (shadowing off), req/s", "off w2", "off", throughputRatio);
  check("shadowing off ÷ BEFORE, req/s", "off", "before off", throughputRatio);
  check("shadowing off ÷ BEFORE, CPU per request", "off", "before off", cpuRatio);
  check("fast dark ÷ BEFORE, req/s", "fast", "before fast", throughputRatio);
  check("fast dark ÷ BEFORE, CPU per request", "fast", "before fast", cpuRatio);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

try {
  await main();
} finally {
  await runCleanups();
  closeApi();
}
