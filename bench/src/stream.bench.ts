/**
 * `npm run bench:stream` (issue #4, bench/README.md): how long a flag change takes to reach every
 * connected SDK stream. Part 1: 1 000 SSE clients on one server process (SQLite). Part 2: 500 clients
 * on each of two replicas sharing one Postgres database, writes through replica A, so B's clients are
 * reached through NOTIFY. The servers run in their own processes (spawned from the built dist), so the
 * load generator never shares an event loop with the server it measures.
 *
 * Latency of one (client, round) = arrival of the client's `patch` event carrying the new revision
 * minus the moment the write's HTTP response was complete in this process. The per-round maximum is
 * the time until every client holds the new version.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { percentile } from "./measure.js";
import {
  apiRequest,
  closeApi,
  createFlagsAndToken,
  expectStatus,
  formatMiB,
  kill,
  onCleanup,
  rssMiB,
  runCleanups,
  type ServerProcess,
  startPostgresReplicas,
  startServerProcess,
} from "./processes.js";

const CLIENTS = 1_000;
const ROUNDS = 30;
/** Pause between rounds, so one round's tail never overlaps the next write. */
const ROUND_GAP_MS = 50;
/** A round whose events have not all arrived by then counts the missing clients as lost. */
const ROUND_TIMEOUT_MS = 5_000;
const ADMIN_SECRET = "dl_admin_bench-stream-0123456789abcdef";
const FLAG_KEY = "bench-stream";
const TARGET_ONE_REPLICA_MS = 100;
const TARGET_CROSS_REPLICA_MS = 250;
/** Sockets besides the SSE streams: the writes, the Postgres pool, stdio, the listening socket. */
const FD_MARGIN = 200;

/** Server options with heartbeats an hour apart: a change reaches the streams only through the change feed being measured. */
const SERVER_OPTIONS = { adminToken: ADMIN_SECRET, heartbeatMs: 3_600_000 };

// ---------------------------------------------------------------------------------------------------
// SSE clients: one node:http request each, on an agent of its own (keep-alive, one socket).

class StreamClient {
  /** Revision of the last `put` / `patch` / `delete` received. */
  revision = -1;
  /** Arrival (performance.now()) of the first patch above `watchAbove`, once it came. */
  arrivedAt: number | undefined;
  watchAbove = Number.POSITIVE_INFINITY;
  /** Called once per round, when the watched patch arrived. */
  onArrive: () => void = () => {};
  closed = false;
  private buffer = "";
  private req: http.ClientRequest | undefined;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    readonly replica: ServerProcess,
    private readonly token: string,
  ) {}

  /** Resolves once the `put` arrived. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.replica.host,
          port: this.replica.port,
          path: "/api/v1/sdk/stream",
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, accept: "text/event-stream" },
        },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`stream answered ${res.statusCode}`));
            res.resume();
            return;
          }
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            const now = performance.now();
            this.buffer += chunk;
            let end = this.buffer.indexOf("\n\n");
            while (end >= 0) {
              const block = this.buffer.slice(0, end);
              this.buffer = this.buffer.slice(end + 2);
              end = this.buffer.indexOf("\n\n");
              if (this.receive(block, now)) resolve();
            }
          });
          res.on("close", () => {
            this.closed = true;
            reject(new Error("stream closed before its put"));
          });
        },
      );
      req.on("error", (error) => {
        this.closed = true;
        reject(error);
      });
      req.end();
      this.req = req;
    });
  }

  /** Handles one event; true for a `put`. */
  private receive(block: string, now: number): boolean {
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (event === "heartbeat") return false;
    const revision = (JSON.parse(data) as { revision: number }).revision;
    if (revision > this.revision) this.revision = revision;
    if (event === "patch" && revision > this.watchAbove && this.arrivedAt === undefined) {
      this.arrivedAt = now;
      this.onArrive();
    }
    return event === "put";
  }

  close(): void {
    this.req?.destroy();
    this.agent.destroy();
  }
}

/** Opens `count` streams, at most `parallel` connecting at a time; resolves with the wall time. */
async function connectAll(clients: StreamClient[], parallel = 250): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < clients.length) {
      const client = clients[next++];
      await client?.open();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, clients.length) }, worker));
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------------
// Rounds and figures.

interface RoundResult {
  /** Per client group (e.g. "A", "B"): latencies of the clients that got the event, in ms. */
  latencies: Map<string, number[]>;
  lost: Map<string, number>;
  /** Events that arrived before the write's response did (counted as 0 ms). */
  early: Map<string, number>;
  writeMs: number;
}

let writes = 0;

async function runRound(writer: ServerProcess, groups: Map<string, StreamClient[]>): Promise<RoundResult> {
  const all = [...groups.values()].flat();
  const before = Math.max(...all.map((c) => c.revision));
  let pending = all.length;
  let done: () => void = () => {};
  const allArrived = new Promise<void>((resolve) => {
    done = resolve;
  });
  for (const client of all) {
    client.arrivedAt = undefined;
    client.watchAbove = before;
    client.onArrive = () => {
      pending--;
      if (pending === 0) done();
    };
  }
  const sent = performance.now();
  // A percentage that differs from the last write's, so every write is a change.
  await expectStatus(200, apiRequest(writer, "PATCH", `/api/v1/flags/${FLAG_KEY}`, { percentage: 1 + (writes++ % 98) }));
  const acked = performance.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allArrived, new Promise<void>((resolve) => (timer = setTimeout(resolve, ROUND_TIMEOUT_MS)))]);
  clearTimeout(timer);
  const latencies = new Map<string, number[]>();
  const lost = new Map<string, number>();
  const early = new Map<string, number>();
  for (const [name, clients] of groups) {
    const list: number[] = [];
    let missing = 0;
    let beforeAck = 0;
    for (const client of clients) {
      client.watchAbove = Number.POSITIVE_INFINITY;
      if (client.arrivedAt === undefined) missing++;
      // An event can beat the write's own response (the broadcast is not behind it): that is 0 ms.
      else {
        if (client.arrivedAt < acked) beforeAck++;
        list.push(Math.max(0, client.arrivedAt - acked));
      }
    }
    latencies.set(name, list);
    lost.set(name, missing);
    early.set(name, beforeAck);
  }
  return { latencies, lost, early, writeMs: acked - sent };
}

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;

function verdict(value: number, target: number): string {
  return Number.isFinite(value) && value <= target ? "PASS" : "MISS";
}

function report(results: RoundResult[], group: string, label: string, target: number): void {
  const all = results.flatMap((r) => r.latencies.get(group) ?? []).sort((a, b) => a - b);
  const maxima = results
    .map((r) => ((r.lost.get(group) ?? 0) > 0 ? Number.POSITIVE_INFINITY : Math.max(...(r.latencies.get(group) ?? [0]))))
    .sort((a, b) => a - b);
  const lost = results.reduce((sum, r) => sum + (r.lost.get(group) ?? 0), 0);
  const p99 = percentile(all, 99);
  const maxP99 = percentile(maxima, 99);
  console.log(`  ${label}`);
  console.log(
    `    every (client, round), n=${all.length}: p50 ${ms(percentile(all, 50))}  p99 ${ms(p99)}  max ${ms(all[all.length - 1] ?? Number.NaN)}   target p99 ≤ ${target} ms: ${verdict(p99, target)}`,
  );
  console.log(
    `    until every client has it (per-round max), n=${maxima.length}: p50 ${ms(percentile(maxima, 50))}  p99 ${ms(maxP99)}   target ≤ ${target} ms: ${verdict(maxP99, target)}`,
  );
  const early = results.reduce((sum, r) => sum + (r.early.get(group) ?? 0), 0);
  if (early > 0) console.log(`    ${early} events arrived before the write's response (counted as 0 ms)`);
  if (lost > 0) console.log(`    LOST: ${lost} (client, round) events did not arrive within ${ROUND_TIMEOUT_MS} ms (counted as misses)`);
}

function writeSummary(results: RoundResult[]): string {
  const writes = results.map((r) => r.writeMs).sort((a, b) => a - b);
  return `write round trip (PATCH → 200): p50 ${percentile(writes, 50).toFixed(1)} ms, p99 ${percentile(writes, 99).toFixed(1)} ms`;
}

/** The flag the rounds change, and an SDK token for the streams. */
function createFlagAndToken(writer: ServerProcess): Promise<string> {
  const flag = {
    key: FLAG_KEY,
    variants: { on: true, off: false },
    offVariant: "off",
    enabled: true,
    fallthrough: {
      split: [
        { variant: "on", weight: 10 },
        { variant: "off", weight: 90 },
      ],
    },
  };
  return createFlagsAndToken(writer, [flag], "bench-stream");
}

async function runRounds(writer: ServerProcess, groups: Map<string, StreamClient[]>): Promise<RoundResult[]> {
  // Two unmeasured rounds first: JIT, pools and the LISTEN connection warm up.
  for (let round = 0; round < 2; round++) await runRound(writer, groups);
  const results: RoundResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await new Promise((resolve) => setTimeout(resolve, ROUND_GAP_MS));
    results.push(await runRound(writer, groups));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------

function openFileLimit(): number | undefined {
  try {
    const value = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    return value === "unlimited" ? Number.POSITIVE_INFINITY : Number(value);
  } catch {
    return undefined;
  }
}

async function partOne(clientCount: number): Promise<void> {
  console.log(`\n[1] one replica, SQLite: ${clientCount} SSE clients, ${ROUNDS} rounds (after 2 warm-up rounds)`);
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-bench-stream-"));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const server = await startServerProcess({ ...SERVER_OPTIONS, sqlitePath: join(dir, "darklaunch.db") });
  onCleanup(() => kill(server.child));
  const token = await createFlagAndToken(server);
  const rssIdle = rssMiB(server.child.pid);
  const clients = Array.from({ length: clientCount }, () => new StreamClient(server, token));
  onCleanup(async () => {
    for (const client of clients) client.close();
  });
  const connectMs = await connectAll(clients);
  const rssConnected = rssMiB(server.child.pid);
  console.log(`  connect ${clientCount} clients (each until its put arrived): ${connectMs.toFixed(0)} ms`);
  const results = await runRounds(server, new Map([["all", clients]]));
  const rssAfter = rssMiB(server.child.pid);
  console.log(`  ${writeSummary(results)}`);
  report(
    results,
    "all",
    `write acknowledged → patch event at the client (bench/README.md: ${TARGET_ONE_REPLICA_MS} ms p99)`,
    TARGET_ONE_REPLICA_MS,
  );
  const f = formatMiB;
  console.log(
    `  server RSS: ${f(rssIdle)} before the streams, ${f(rssConnected)} with ${clientCount} connected, ${f(rssAfter)} after the rounds`,
  );
  await runCleanups();
}

async function partTwo(clientCount: number): Promise<void> {
  const perReplica = Math.floor(clientCount / 2);
  console.log(`\n[2] two replicas, one Postgres: ${perReplica} clients on A + ${perReplica} on B, writes through A, ${ROUNDS} rounds`);
  const replicas = await startPostgresReplicas(SERVER_OPTIONS);
  if (replicas === undefined) return;
  const { a, b } = replicas;
  const token = await createFlagAndToken(a);
  const onA = Array.from({ length: perReplica }, () => new StreamClient(a, token));
  const onB = Array.from({ length: perReplica }, () => new StreamClient(b, token));
  onCleanup(async () => {
    for (const client of [...onA, ...onB]) client.close();
  });
  const connectMs = await connectAll([...onA, ...onB]);
  console.log(`  connect ${onA.length + onB.length} clients: ${connectMs.toFixed(0)} ms`);
  const results = await runRounds(
    a,
    new Map([
      ["A", onA],
      ["B", onB],
    ]),
  );
  console.log(`  ${writeSummary(results)}`);
  report(
    results,
    "A",
    `clients of replica A, the writer (bench/README.md one-replica target: ${TARGET_ONE_REPLICA_MS} ms p99)`,
    TARGET_ONE_REPLICA_MS,
  );
  report(
    results,
    "B",
    `clients of replica B, through NOTIFY (bench/README.md: ${TARGET_CROSS_REPLICA_MS} ms p99)`,
    TARGET_CROSS_REPLICA_MS,
  );
  const f = formatMiB;
  console.log(`  server RSS after the rounds: A ${f(rssMiB(a.child.pid))}, B ${f(rssMiB(b.child.pid))}`);
  await runCleanups();
}

async function main(): Promise<void> {
  const started = performance.now();
  const limit = openFileLimit();
  let clientCount = CLIENTS;
  console.log(`darklaunch bench:stream — node ${process.version}; servers are separate processes on 127.0.0.1`);
  if (limit === undefined) {
    console.log(`open-file limit unknown (no sh); trying ${CLIENTS} clients`);
  } else if (limit < CLIENTS + FD_MARGIN) {
    clientCount = Math.max(10, limit - FD_MARGIN);
    console.log(
      `WARNING: ulimit -n is ${limit}; ${CLIENTS} streams need ≥ ${CLIENTS + FD_MARGIN} descriptors per side and a process cannot raise its own hard limit here.`,
    );
    console.log(
      `WARNING: running with ${clientCount} clients instead of ${CLIENTS}; the figures do NOT answer bench/README.md. Raise it with \`ulimit -n 4096\` first.`,
    );
  } else {
    console.log(`ulimit -n ${limit}: enough for ${CLIENTS} clients`);
  }
  await partOne(clientCount);
  await partTwo(clientCount);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} finally {
  await runCleanups();
  closeApi();
}
