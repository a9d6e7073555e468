/**
 * `npm run bench:sdk` (issues #4, #16): the 200-flag ruleset of `bench:core`, evaluated offline through
 * our SDK and, in the same run and on the same ruleset, through four peers, each configured in its own
 * native offline format: unleash-client (bootstrap), @growthbook/growthbook (payload),
 * @launchdarkly/node-server-sdk (TestData with full flag JSON) and @openfeature/flagd-core (flagd JSON).
 * Each is checked first (plain users ≈ 10 % on, beta ids and NL/DE + pro users on), then timed.
 *
 * Every SDK runs in a child process of its own, so that its peak RSS during the timed loop is its own;
 * ours (telemetry off and on) and flagd-core run in 3 interleaved rounds and the targets are read on
 * the medians of the within-round ratios. Bytes allocated per evaluation are measured in this process.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createClient } from "@darklaunch/sdk";
import { GrowthBookClient } from "@growthbook/growthbook";
import { init as ldInit, integrations as ldIntegrations } from "@launchdarkly/node-server-sdk";
import { FlagdCore } from "@openfeature/flagd-core";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { allocatedBytes } from "./allocation.js";
import {
  type BenchFlagSpec,
  type BenchUser,
  darklaunchRuleset,
  FLAG_COUNT,
  isPlain,
  makeFlagSpecs,
  makeUsers,
  ROLLOUT_PERCENT,
} from "./core-ruleset.js";
import { intKnob } from "./env-knobs.js";
import { type Measurement, measure, measureAsync } from "./measure.js";

const WARMUP_MS = 1_000;
const DURATION_MS = 4_000;
/** Users of the correctness pass (× all flags), plus every beta id of every flag. */
const CHECK_USERS = 5_000;
/** Tolerance of the share of plain users included, in percentage points. */
const SHARE_TOLERANCE = 0.5;
/** Batch timings kept for p50/p99 (the last ones of the timed loop). */
const LATENCY_SAMPLES = 1 << 20;
/** RSS is read every this many batches of the timed loop (a batch is one user × all flags). */
const RSS_EVERY = 64;
/** Interleaved rounds of ours and flagd-core (SDK_BENCH_ROUNDS): the same build's rate swings up to 2× between processes here. */
const ROUNDS = intKnob("SDK_BENCH_ROUNDS", 3);
/** Users × all flags evaluated while allocation is measured. */
const ALLOCATION_USERS = 2_000;

const users = makeUsers();
const specs = makeFlagSpecs();
const keys = specs.map((s) => s.key);
const betaSets = new Map(specs.map((s) => [s.key, new Set(s.betaIds)]));
const userById = new Map(users.map((u) => [u.id, u]));

const gc = (globalThis as { gc?: () => void }).gc;
function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** One peer under test: `evaluate` (sync) or `evaluateAsync` (promise-only API) on a native context. */
interface Peer<C> {
  name: string;
  note: string;
  context(user: BenchUser): C;
  evaluate?: (key: string, ctx: C) => boolean;
  evaluateAsync?: (key: string, ctx: C) => Promise<boolean>;
  close(): Promise<void> | void;
}

interface Row {
  name: string;
  note: string;
  share: number;
  measurement: Measurement;
  p50: number;
  p99: number;
  heapMiB: number;
  heapDeltaMiB: number;
  /** The highest RSS read during the timed loop. */
  peakRssMiB: number;
  /**
   * Evaluations per second of this process's CPU time (all its threads, GC helpers included): on a
   * machine shared with other work, wall-clock rates swing with the neighbours, CPU time far less.
   */
  evalsPerCpuSecond: number;
  /** CPU seconds per wall second during the timed loop: below 1, the process waited for a core. */
  cpuShare: number;
}

// ---- the peers, each in its own format ---------------------------------------------------------

async function darklaunch(): Promise<Peer<{ id: string; country: string; plan: string }>> {
  const client = createClient({ offline: true, bootstrap: darklaunchRuleset(specs), telemetry: false });
  await client.ready();
  return {
    name: "@darklaunch/sdk",
    note: "offline, bootstrap object, telemetry off",
    context: (u) => ({ id: u.id, country: u.country, plan: u.plan }),
    evaluate: (key, ctx) => client.isEnabled(key, ctx, false),
    close: () => client.close(),
  };
}

/** Telemetry needs a server: this one is unreachable, so the bootstrap is served and counts are kept. */
async function darklaunchTelemetry(): Promise<Peer<{ id: string; country: string; plan: string }>> {
  const client = createClient({ url: "http://127.0.0.1:9", token: "bench", bootstrap: darklaunchRuleset(specs), telemetry: {} });
  client.on("error", () => {});
  await client.ready();
  return {
    name: "@darklaunch/sdk +telemetry",
    note: "bootstrap object, server unreachable, telemetry on (default options)",
    context: (u) => ({ id: u.id, country: u.country, plan: u.plan }),
    evaluate: (key, ctx) => client.isEnabled(key, ctx, false),
    close: () => client.close(),
  };
}

async function unleash(): Promise<Peer<{ userId: string; properties: { country: string; plan: string } }>> {
  const features = specs.map((spec) => ({
    name: spec.key,
    enabled: true,
    strategies: [
      { name: "default", constraints: [{ contextName: "userId", operator: "IN", values: spec.betaIds }], parameters: {} },
      {
        name: "default",
        constraints: [
          { contextName: "country", operator: "IN", values: ["NL", "DE"] },
          { contextName: "plan", operator: "IN", values: ["pro"] },
        ],
        parameters: {},
      },
      {
        name: "flexibleRollout",
        constraints: [],
        parameters: { rollout: String(ROLLOUT_PERCENT), stickiness: "userId", groupId: spec.key },
      },
    ],
  }));
  const client = new Unleash({
    appName: "darklaunch-bench",
    url: "http://127.0.0.1:9/api/",
    refreshInterval: 0, // never fetch: bootstrap only
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: features as never },
    skipInstanceCountWarning: true,
  });
  client.on("error", (error: Error) => console.error(`unleash: ${error.message}`));
  await once(client, "ready");
  return {
    name: "unleash-client",
    note: "bootstrap, refreshInterval 0, disableMetrics; flexibleRollout 10 % on userId",
    context: (u) => ({ userId: u.id, properties: { country: u.country, plan: u.plan } }),
    evaluate: (key, ctx) => client.isEnabled(key, ctx, false),
    close: () => client.destroy(),
  };
}

async function growthbook(): Promise<Peer<{ attributes: { id: string; country: string; plan: string } }>> {
  const features: Record<string, unknown> = {};
  for (const spec of specs) {
    features[spec.key] = {
      defaultValue: false,
      rules: [
        { condition: { id: { $in: spec.betaIds } }, force: true },
        { condition: { country: { $in: ["NL", "DE"] }, plan: "pro" }, force: true },
        { force: true, coverage: ROLLOUT_PERCENT / 100, hashAttribute: "id" },
      ],
    };
  }
  const client = new GrowthBookClient().initSync({ payload: { features: features as never } });
  return {
    name: "@growthbook/growthbook",
    note: "GrowthBookClient.initSync(payload); force rule coverage 0.1 on id",
    context: (u) => ({ attributes: { id: u.id, country: u.country, plan: u.plan } }),
    evaluate: (key, ctx) => client.isOn(key, ctx),
    close: () => client.destroy(),
  };
}

async function launchdarkly(): Promise<Peer<{ kind: string; key: string; country: string; plan: string }>> {
  const td = new ldIntegrations.TestData();
  for (const spec of specs) {
    await td.usePreconfiguredFlag({
      key: spec.key,
      version: 1,
      on: true,
      variations: [true, false],
      offVariation: 1,
      targets: [],
      contextTargets: [],
      prerequisites: [],
      salt: spec.key,
      rules: [
        { id: "beta", variation: 0, clauses: [{ contextKind: "user", attribute: "key", op: "in", values: spec.betaIds, negate: false }] },
        {
          id: "eu-pro",
          variation: 0,
          clauses: [
            { contextKind: "user", attribute: "country", op: "in", values: ["NL", "DE"], negate: false },
            { contextKind: "user", attribute: "plan", op: "in", values: ["pro"], negate: false },
          ],
        },
      ],
      fallthrough: {
        rollout: {
          contextKind: "user",
          bucketBy: "key",
          variations: [
            { variation: 0, weight: ROLLOUT_PERCENT * 1_000 },
            { variation: 1, weight: (100 - ROLLOUT_PERCENT) * 1_000 },
          ],
        },
      },
    });
  }
  const client = ldInit("sdk-bench-offline", {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: { error: console.error, warn: console.error, info: () => {}, debug: () => {} },
  });
  await client.waitForInitialization({ timeout: 10 });
  return {
    name: "@launchdarkly/node-server-sdk",
    note: "TestData flag JSON, sendEvents false; variation() is async: awaited in turn",
    context: (u) => ({ kind: "user", key: u.id, country: u.country, plan: u.plan }),
    evaluateAsync: async (key, ctx) => (await client.variation(key, ctx, false)) === true,
    close: () => client.close(),
  };
}

async function flagd(): Promise<Peer<{ targetingKey: string; country: string; plan: string }>> {
  const flags: Record<string, unknown> = {};
  for (const spec of specs) {
    flags[spec.key] = {
      state: "ENABLED",
      variants: { on: true, off: false },
      defaultVariant: "off",
      targeting: {
        if: [
          { in: [{ var: "targetingKey" }, spec.betaIds] },
          "on",
          { and: [{ in: [{ var: "country" }, ["NL", "DE"]] }, { "==": [{ var: "plan" }, "pro"] }] },
          "on",
          {
            fractional: [
              ["on", ROLLOUT_PERCENT],
              ["off", 100 - ROLLOUT_PERCENT],
            ],
          },
        ],
      },
    };
  }
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify({ flags }));
  return {
    name: "@openfeature/flagd-core",
    note: "FlagdCore, flagd JSON: if / in / fractional on targetingKey",
    context: (u) => ({ targetingKey: u.id, country: u.country, plan: u.plan }),
    evaluate: (key, ctx) => core.resolveBooleanEvaluation(key, false, ctx).value,
    close: () => {},
  };
}

// ---- check, then time ----------------------------------------------------------------------------

async function check<C>(peer: Peer<C>): Promise<number> {
  const evaluate = async (key: string, ctx: C) => (peer.evaluate ? peer.evaluate(key, ctx) : await peer.evaluateAsync!(key, ctx));
  let plain = 0;
  let plainOn = 0;
  for (let u = 0; u < CHECK_USERS; u++) {
    const user = users[u]!;
    const ctx = peer.context(user);
    for (const spec of specs) {
      const on = await evaluate(spec.key, ctx);
      if (isPlain(user, spec, betaSets)) {
        plain++;
        if (on) plainOn++;
      } else if (!on) throw new Error(`${user.id} (${user.country}, ${user.plan}) matches a rule of ${spec.key} but is off`);
    }
  }
  for (const spec of specs as BenchFlagSpec[]) {
    for (const id of spec.betaIds) {
      if (!(await evaluate(spec.key, peer.context(userById.get(id)!)))) throw new Error(`beta id ${id} of ${spec.key} is off`);
    }
  }
  return (100 * plainOn) / plain;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run<C>(build: () => Promise<Peer<C>>): Promise<Row | undefined> {
  const before = heapAfterGc();
  let peer: Peer<C>;
  try {
    peer = await build();
  } catch (error) {
    console.log(`  ${build.name}: cannot be set up (${(error as Error).message}); row left out`);
    return undefined;
  }
  const after = heapAfterGc();
  try {
    const share = await check(peer);
    const shareText = `plain users on: ${share.toFixed(3)} % (target ${ROLLOUT_PERCENT} ± ${SHARE_TOLERANCE})`;
    if (Math.abs(share - ROLLOUT_PERCENT) > SHARE_TOLERANCE) {
      console.log(`  ${peer.name.padEnd(30)} ${shareText} — OUT OF RANGE, row left out`);
      return undefined;
    }
    console.log(`  ${peer.name.padEnd(30)} ${shareText}; rule users and beta ids on ✓  [${peer.note}]`);

    // Every (flag, user) pair, user-major: one batch = one user × all flags, timed with hrtime.
    const contexts = users.map((u) => peer.context(u));
    const batchNs = new Float64Array(LATENCY_SAMPLES);
    heapAfterGc();
    let peakRss = 0;
    let batches = 0;
    let u = 0;
    let sink = 0;
    let measurement: Measurement;
    // Warm-up here rather than in measure(), so that the CPU time read covers the timed loop only.
    let cpu: NodeJS.CpuUsage;
    if (peer.evaluate) {
      const evaluate = peer.evaluate;
      const step = () => {
        const ctx = contexts[u]!;
        const t0 = process.hrtime.bigint();
        for (let f = 0; f < keys.length; f++) if (evaluate(keys[f]!, ctx)) sink++;
        batchNs[batches++ & (LATENCY_SAMPLES - 1)] = Number(process.hrtime.bigint() - t0);
        u = u + 1 === contexts.length ? 0 : u + 1;
        if (batches % RSS_EVERY === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
      };
      const warmEnd = performance.now() + WARMUP_MS;
      while (performance.now() < warmEnd) step();
      const cpuBefore = process.cpuUsage();
      measurement = measure(peer.name, keys.length, step, 0, DURATION_MS);
      cpu = process.cpuUsage(cpuBefore);
    } else {
      const evaluateAsync = peer.evaluateAsync!;
      const step = async () => {
        const ctx = contexts[u]!;
        const t0 = process.hrtime.bigint();
        for (let f = 0; f < keys.length; f++) if (await evaluateAsync(keys[f]!, ctx)) sink++;
        batchNs[batches++ & (LATENCY_SAMPLES - 1)] = Number(process.hrtime.bigint() - t0);
        u = u + 1 === contexts.length ? 0 : u + 1;
        if (batches % RSS_EVERY === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
      };
      const warmEnd = performance.now() + WARMUP_MS;
      while (performance.now() < warmEnd) await step();
      const cpuBefore = process.cpuUsage();
      measurement = await measureAsync(peer.name, keys.length, step, 0, DURATION_MS);
      cpu = process.cpuUsage(cpuBefore);
    }
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    // The timed loop's batches are the last `operations / batch` calls of step.
    const timed = Math.min(measurement.operations / keys.length, batches, LATENCY_SAMPLES);
    const sample = new Float64Array(timed);
    for (let i = 0; i < timed; i++) sample[i] = batchNs[(batches - timed + i) & (LATENCY_SAMPLES - 1)]! / keys.length;
    sample.sort();
    if (sink === -1) console.log("");
    return {
      name: peer.name,
      note: peer.note,
      share,
      measurement,
      p50: percentile(sample, 50),
      p99: percentile(sample, 99),
      heapMiB: after / 1024 / 1024,
      heapDeltaMiB: (after - before) / 1024 / 1024,
      peakRssMiB: peakRss / 1024 / 1024,
      evalsPerCpuSecond: measurement.operations / cpuSeconds,
      cpuShare: cpuSeconds / measurement.seconds,
    };
  } catch (error) {
    console.log(`  ${peer.name.padEnd(30)} FAILED the check: ${(error as Error).message}; row left out`);
    return undefined;
  } finally {
    await peer.close();
  }
}

const PEERS: Record<string, () => Promise<Peer<never>>> = {
  darklaunch,
  darklaunchTelemetry,
  unleash,
  growthbook,
  launchdarkly,
  flagd,
} as never;

const childPeer = process.argv[2] === "--child" ? process.argv[3] : undefined;
if (childPeer !== undefined) {
  // One SDK in this process: its row goes to the parent as the last line of output.
  const row = await run(PEERS[childPeer]!);
  console.log(JSON.stringify(row ?? null));
  process.exit(0);
}

/** Runs one SDK in a child process of its own; its check line is passed through. */
function inChild(peer: string): Row | undefined {
  const out = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", peer], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 << 20,
  });
  const lines = out.trimEnd().split("\n");
  const last = lines.pop()!;
  for (const line of lines) console.log(line);
  return (JSON.parse(last) as Row | null) ?? undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Bytes allocated per `isEnabled` (or the peer's call) over ALLOCATION_USERS users × all flags, warm. */
async function bytesPerEval(build: () => Promise<Peer<unknown>>): Promise<number> {
  const peer = await build();
  try {
    const contexts = users.slice(0, ALLOCATION_USERS).map((u) => peer.context(u));
    const evaluate = peer.evaluate!;
    let sink = 0;
    const pass = () => {
      for (const ctx of contexts) for (let f = 0; f < keys.length; f++) if (evaluate(keys[f]!, ctx)) sink++;
    };
    for (let i = 0; i < 5; i++) pass();
    const bytes = allocatedBytes(pass);
    if (sink === -1) console.log("");
    return bytes / (contexts.length * keys.length);
  } finally {
    await peer.close();
  }
}

console.log(
  `darklaunch bench:sdk — node ${process.version}, ${FLAG_COUNT} flags × ${users.length.toLocaleString("en")} users, offline; ` +
    `${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s per SDK, each in a child process; ours and flagd-core in ${ROUNDS} interleaved rounds`,
);
console.log(`correctness first (${CHECK_USERS.toLocaleString("en")} users × ${FLAG_COUNT} flags, plus every beta id of every flag):`);

/** `--flagd-only`: leave out unleash, GrowthBook and LaunchDarkly (their check passes take minutes on a busy machine). */
const FLAGD_ONLY = process.argv.includes("--flagd-only");
const OURS = "darklaunch";
const OURS_TELEMETRY = "darklaunchTelemetry";
const FLAGD = "flagd";
const rounds: Array<Map<string, Row>> = [];
const others: Row[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = [OURS, OURS_TELEMETRY, FLAGD];
  // Rotate who goes first: a machine shared with other work drifts within a round.
  for (let i = 0; i < round; i++) order.push(order.shift()!);
  const rows = new Map<string, Row>();
  for (const peer of order) {
    const row = inChild(peer);
    if (row) rows.set(peer, row);
  }
  rounds.push(rows);
  // The slower peers once, in the first round: the targets are read against flagd-core.
  if (round === 0 && !FLAGD_ONLY) {
    for (const peer of ["unleash", "growthbook", "launchdarkly"]) {
      const row = inChild(peer);
      if (row) others.push(row);
    }
  }
}

const header = `${"SDK (round)".padEnd(34)} ${"evals/s".padStart(13)} ${"ns/eval".padStart(9)} ${"p50 ns".padStart(8)} ${"p99 ns".padStart(8)} ${"heap MiB".padStart(9)} ${"Δ build".padStart(8)} ${"peak RSS".padStart(9)} ${"evals/CPU s".padStart(13)} ${"CPU".padStart(5)} ${"ours ÷ it".padStart(10)}`;
console.log();
console.log(header);
console.log("-".repeat(header.length));
const printRow = (r: Row, label: string, ours: Row | undefined) => {
  const ratio = ours ? `${(ours.evalsPerCpuSecond / r.evalsPerCpuSecond).toFixed(2)}×` : "—";
  console.log(
    `${label.padEnd(34)} ${Math.round(r.measurement.opsPerSecond).toLocaleString("en").padStart(13)} ${r.measurement.nsPerOp.toFixed(1).padStart(9)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${r.heapMiB.toFixed(1).padStart(9)} ${r.heapDeltaMiB.toFixed(1).padStart(8)} ${r.peakRssMiB.toFixed(0).padStart(9)} ${Math.round(r.evalsPerCpuSecond).toLocaleString("en").padStart(13)} ${r.cpuShare.toFixed(2).padStart(5)} ${ratio.padStart(10)}`,
  );
};
rounds.forEach((rows, round) => {
  for (const row of rows.values()) printRow(row, `${row.name} (${round + 1})`, rows.get(OURS));
});
for (const row of others) printRow(row, `${row.name} (1)`, rounds[0]?.get(OURS));
console.log();
console.log(
  "ns/eval: timed loop over every (flag, user) pair, user-major. p50/p99 per evaluation: each batch of " +
    `${FLAG_COUNT} evaluations (one user × all flags) timed with process.hrtime.bigint and divided by ${FLAG_COUNT}. ` +
    "heap MiB: heapUsed after building the client and a forced gc (Δ build: growth from before building it; " +
    `the 100 000 users are already in memory). peak RSS: MiB, the highest RSS read every ${RSS_EVERY} batches of the timed loop ` +
    "(each SDK in its own process, after a forced gc). evals/CPU s: evaluations per second of the process's CPU time " +
    "during the timed loop (all threads); CPU: CPU seconds per wall second (below 1: waiting for a core on a shared machine). " +
    "ours ÷ it: our evaluations per CPU second (telemetry off) over that SDK's, same round.",
);

console.log();
console.log("bytes allocated per evaluation (warm, this process; heapUsed growth plus what collections freed meanwhile):");
const allocation = [
  ["@darklaunch/sdk", darklaunch],
  ["@darklaunch/sdk +telemetry", darklaunchTelemetry],
  ["@openfeature/flagd-core", flagd],
] as Array<[string, () => Promise<Peer<unknown>>]>;
for (const [name, build] of allocation) {
  const bytes = await bytesPerEval(build);
  console.log(
    `  ${name.padEnd(30)} ${bytes.toFixed(2).padStart(9)} B/eval  (${ALLOCATION_USERS.toLocaleString("en")} users × ${FLAG_COUNT} flags)`,
  );
}

console.log();
const ratios = (name: string, read: (ours: Row, flagd: Row) => number): number[] =>
  rounds.flatMap((rows) => {
    const ours = rows.get(name);
    const peer = rows.get(FLAGD);
    return ours && peer ? [read(ours, peer)] : [];
  });
const target = (label: string, values: number[], met: (m: number) => boolean, goal: string, unit = "×") => {
  if (values.length === 0) {
    console.log(`${label}: no round has both rows — TARGET MISSED`);
    return;
  }
  const m = median(values);
  const each = values.map((v) => `${v.toFixed(2)}${unit}`).join(", ");
  console.log(`${label}: median ${m.toFixed(2)}${unit} (rounds: ${each}; target ${goal}) — TARGET ${met(m) ? "MET" : "MISSED"}`);
};
const speed = (ours: Row, peer: Row) => ours.evalsPerCpuSecond / peer.evalsPerCpuSecond;
const wallSpeed = (ours: Row, peer: Row) => ours.measurement.opsPerSecond / peer.measurement.opsPerSecond;
const rss = (ours: Row, peer: Row) => ours.peakRssMiB / peer.peakRssMiB;
target("evals per CPU second ours ÷ flagd-core, telemetry off", ratios(OURS, speed), (m) => m >= 3, "≥ 3×");
target("evals per CPU second ours ÷ flagd-core, telemetry on ", ratios(OURS_TELEMETRY, speed), (m) => m >= 3, "≥ 3×");
target("evals per wall second ours ÷ flagd-core, telemetry off", ratios(OURS, wallSpeed), (m) => m >= 3, "≥ 3×");
target("evals per wall second ours ÷ flagd-core, telemetry on ", ratios(OURS_TELEMETRY, wallSpeed), (m) => m >= 3, "≥ 3×");
target("peak RSS in the loop ours ÷ flagd-core, telemetry off", ratios(OURS, rss), (m) => m <= 1.1, "≤ 1.10×");
target("peak RSS in the loop ours ÷ flagd-core, telemetry on ", ratios(OURS_TELEMETRY, rss), (m) => m <= 1.1, "≤ 1.10×");
const all = [...rounds.flatMap((rows) => [...rows.values()]), ...others];
const lost = (FLAGD_ONLY ? 3 : 6) - new Set(all.map((r) => r.name)).size;
if (lost > 0) console.log(`${lost} SDK(s) left out of the table: see above.`);
process.exit(0);
