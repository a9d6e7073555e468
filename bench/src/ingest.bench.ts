/**
 * `npm run bench:ingest` (bench/README.md): observation windows posted as a fleet of reporters posts
 * them — 500 reporters × 20 routes, each reporter one batch per minute — to two server replicas on one
 * Postgres database, then to one server on SQLite. The fleet runs at `INGEST_SPEEDUP` × real time
 * (default 10: a "minute" lasts 6 s), open loop: every batch is sent at its scheduled time whether or
 * not earlier ones were answered, and its latency counts from that time, so a server that falls
 * behind shows it in p99 instead of slowing the load down (no coordinated omission).
 *
 * Prints, per store: windows merged per second against the offered rate, POST latency p50/p99, errors,
 * and (Postgres) lock waits sampled from `pg_locks` every 50 ms. The servers run in processes of their
 * own (the load generator shares the machine's cores with them; say so when reading the figures).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LatencySketch, type ObservationWindow, RESERVOIR_CAPACITY, type SideWindow, seededRandom } from "@darklaunch/core";
import pg from "pg";
import { Pool } from "undici";
import { intKnob } from "./env-knobs.js";
import { percentile } from "./measure.js";
import {
  closeApi,
  createFlagsAndToken,
  formatMiB,
  kill,
  onCleanup,
  POSTGRES_URL,
  peakRssMiB,
  runCleanups,
  type ServerProcess,
  startPostgresReplicas,
  startServerProcess,
} from "./processes.js";

const REPORTERS = intKnob("INGEST_REPORTERS", 500);
const ROUTES = intKnob("INGEST_ROUTES", 20);
const FLAGS = intKnob("INGEST_FLAGS", 10);
const SPEEDUP = intKnob("INGEST_SPEEDUP", 10);
const MINUTES = intKnob("INGEST_MINUTES", 4);
const REQUESTS_PER_ROUTE = 60;
const ADMIN_SECRET = "dl_admin_bench-ingest-0123456789abcdef";
/** Connections per replica: a fleet of services holds many; a pool this size keeps the generator light. */
const CONNECTIONS = 32;

function side(random: () => number, requests: number, errors: number, slower: number): SideWindow {
  const sketch = new LatencySketch();
  const reservoir: number[] = [];
  for (let i = 0; i < requests; i++) {
    const ms = 5 + random() * 40 * slower + (random() < 0.02 ? 200 : 0);
    sketch.record(ms);
    if (reservoir.length < RESERVOIR_CAPACITY) reservoir.push(Math.round(ms * 100) / 100);
  }
  return { requests, errors, latency: sketch.toJSON(), reservoir };
}

/** What one reporter posts for one minute: a window per route of its flag, like a busy proxy's. */
function reporterBatch(reporter: number, minuteStart: string, random: () => number): { instance: string; windows: ObservationWindow[] } {
  const flag = `ingest-${reporter % FLAGS}`;
  const windows: ObservationWindow[] = [];
  for (let r = 0; r < ROUTES; r++) {
    const requests = REQUESTS_PER_ROUTE;
    const mismatched = Math.floor(random() * 3);
    windows.push({
      flag,
      source: "proxy",
      route: `GET /api/resource-${r}`,
      start: minuteStart,
      baseline: side(random, requests, random() < 0.3 ? 1 : 0, 1),
      dark: side(random, requests, random() < 0.3 ? 1 : 0, 1.1),
      comparison: {
        total: requests,
        matched: requests - mismatched,
        mismatched,
        noiseTotal: 10,
        fields: mismatched > 0 ? { "$.price": mismatched, "$.updatedAt": requests } : { "$.updatedAt": requests },
        noise: { "$.updatedAt": 10 },
      },
      samples: [],
      paired: { bothErr: 0, darkOnlyErr: 0, baseOnlyErr: 0, slower: 25, faster: 20, tie: 15 },
    });
  }
  return { instance: `reporter-${reporter}`, windows };
}

interface LockSampler {
  stop(): Promise<{ samples: number; withWaits: number; maxWaiting: number }>;
}

/** Samples `pg_locks` for ungranted locks in `database` every 50 ms. */
async function sampleLocks(database: string): Promise<LockSampler> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  let samples = 0;
  let withWaits = 0;
  let maxWaiting = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ waiting: string }>(
        "select count(*) as waiting from pg_locks l join pg_database d on d.oid = l.database where not l.granted and d.datname = $1",
        [database],
      );
      const waiting = Number(rows[0]?.waiting ?? 0);
      samples++;
      if (waiting > 0) withWaits++;
      maxWaiting = Math.max(maxWaiting, waiting);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return { samples, withWaits, maxWaiting };
    },
  };
}

/** The flags the reporters' windows name, and an SDK token to post them with. */
function createIngestFlagsAndToken(server: ServerProcess): Promise<string> {
  const flags = Array.from({ length: FLAGS }, (_, f) => ({
    key: `ingest-${f}`,
    variants: { on: true, off: false },
    offVariant: "off",
    enabled: true,
    fallthrough: { variant: "on" },
  }));
  return createFlagsAndToken(server, flags, "bench-ingest");
}

interface RunResult {
  offeredWindowsPerSecond: number;
  mergedWindowsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  statuses: Map<number, number>;
}

/**
 * Runs the fleet against `replicas` (reporter i posts to replica i mod n) for MINUTES simulated
 * minutes and waits for every answer.
 */
async function runFleet(replicas: readonly ServerProcess[], token: string): Promise<RunResult> {
  const pools = replicas.map((r) => new Pool(r.url, { connections: CONNECTIONS, pipelining: 1 }));
  const minuteMs = 60_000 / SPEEDUP;
  // Seeded, so every run posts the same windows.
  const random = seededRandom(42);
  // Bodies are built before the clock starts: the generator must not be what falls behind.
  const firstMinute = Math.floor(Date.now() / 60_000) * 60_000 - (MINUTES + 1) * 60_000;
  const bodies: string[][] = [];
  for (let m = 0; m < MINUTES; m++) {
    const start = new Date(firstMinute + m * 60_000).toISOString();
    bodies.push(Array.from({ length: REPORTERS }, (_, i) => JSON.stringify(reporterBatch(i, start, random))));
  }
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  let windowsStored = 0;
  const began = performance.now();
  const inflight: Promise<void>[] = [];
  for (let m = 0; m < MINUTES; m++) {
    for (let i = 0; i < REPORTERS; i++) {
      // Reporters spread evenly over the minute, as unsynchronised service instances do.
      const due = began + m * minuteMs + (i / REPORTERS) * minuteMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const pool = pools[i % pools.length] as Pool;
      const body = bodies[m]?.[i] as string;
      inflight.push(
        pool
          .request({
            method: "POST",
            path: "/api/v1/observations",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body,
          })
          .then(async (res) => {
            const text = await res.body.text();
            latencies.push(performance.now() - due);
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            if (res.statusCode === 200 || res.statusCode === 201 || res.statusCode === 202) {
              windowsStored += ROUTES;
            } else {
              errors++;
              if (errors <= 3) console.log(`    ${res.statusCode}: ${text.slice(0, 200)}`);
            }
          })
          .catch((error: unknown) => {
            errors++;
            latencies.push(performance.now() - due);
            if (errors <= 3) console.log(`    request failed: ${(error as Error).message}`);
          }),
      );
    }
  }
  await Promise.all(inflight);
  const elapsedS = (performance.now() - began) / 1000;
  await Promise.all(pools.map((p) => p.close()));
  latencies.sort((a, b) => a - b);
  return {
    offeredWindowsPerSecond: (REPORTERS * ROUTES) / (minuteMs / 1000),
    mergedWindowsPerSecond: windowsStored / elapsedS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    errors,
    statuses,
  };
}

function report(what: string, result: RunResult, realRate: number): void {
  const keptUp = result.mergedWindowsPerSecond / result.offeredWindowsPerSecond;
  console.log(
    `  ${what}: offered ${result.offeredWindowsPerSecond.toFixed(0)} windows/s (${SPEEDUP}× the fleet's ${realRate.toFixed(0)}/s), ` +
      `merged ${result.mergedWindowsPerSecond.toFixed(0)} windows/s (${keptUp.toFixed(2)}× offered); ` +
      `POST p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(0)} ms; errors ${result.errors}; ` +
      `statuses ${[...result.statuses].map(([s, n]) => `${s}×${n}`).join(" ")}`,
  );
  // Kept up: every window merged, and the slowest answer came well inside one simulated minute (no backlog).
  const met = result.errors === 0 && keptUp >= 0.95 && result.p99 < 60_000 / SPEEDUP;
  console.log(
    `  TARGET ${met ? "MET" : "MISSED"}: keeps up with ${SPEEDUP}× the fleet (all merged, ≥ 0.95× offered over the run, p99 < one simulated minute = ${(60_000 / SPEEDUP).toFixed(0)} ms)`,
  );
}

async function postgresPart(realRate: number): Promise<void> {
  console.log(`\n[1] two replicas, one Postgres: reporter i posts to replica i mod 2`);
  const replicas = await startPostgresReplicas({ adminToken: ADMIN_SECRET, rateLimits: { ingestPerMinute: 1_000_000 } });
  if (replicas === undefined) return;
  const { a, b } = replicas;
  const token = await createIngestFlagsAndToken(a);
  const locks = await sampleLocks(replicas.database);
  const result = await runFleet([a, b], token);
  const waits = await locks.stop();
  report("Postgres × 2 replicas", result, realRate);
  console.log(
    `  lock waits: ${waits.withWaits} of ${waits.samples} samples (${((100 * waits.withWaits) / Math.max(1, waits.samples)).toFixed(1)} %) saw a session waiting for a lock; at most ${waits.maxWaiting} at once`,
  );
  console.log(`  server peak RSS: A ${formatMiB(peakRssMiB(a.child.pid))}, B ${formatMiB(peakRssMiB(b.child.pid))}`);
  await runCleanups();
}

async function sqlitePart(realRate: number): Promise<void> {
  console.log(`\n[2] one server on SQLite`);
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-ingest-"));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServerProcess({
    sqlitePath: join(dir, "darklaunch.db"),
    adminToken: ADMIN_SECRET,
    rateLimits: { ingestPerMinute: 1_000_000 },
  });
  onCleanup(() => kill(server.child));
  const token = await createIngestFlagsAndToken(server);
  const result = await runFleet([server], token);
  report("SQLite × 1 server", result, realRate);
  console.log(`  server peak RSS: ${formatMiB(peakRssMiB(server.child.pid))}`);
  await runCleanups();
}

async function main(): Promise<void> {
  const started = performance.now();
  const realRate = (REPORTERS * ROUTES) / 60;
  console.log(
    `darklaunch bench:ingest — node ${process.version}; ${REPORTERS} reporters × ${ROUTES} routes over ${FLAGS} flags, one batch per reporter per minute ` +
      `(${realRate.toFixed(0)} windows/s), run at ${SPEEDUP}× for ${MINUTES} simulated minutes; servers in processes of their own on 127.0.0.1, ` +
      `sharing the cores with this load generator`,
  );
  await postgresPart(realRate);
  await sqlitePart(realRate);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} finally {
  await runCleanups();
  closeApi();
}
