/**
 * What the benchmarks share: child processes that are always killed (also on errors and Ctrl-C),
 * cleanups run in reverse order, a darklaunch server in a process of its own, two replicas on a
 * throw-away Postgres database, the admin API, and the memory of a process read from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";
import pg from "pg";

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

function killAllSync(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
process.on("exit", killAllSync);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllSync();
    void runCleanups().finally(() => process.exit(130));
  });
}

/** Runs `cleanup` at the next `runCleanups()` (last added, first run). */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(async () => cleanup());
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop();
    await cleanup?.().catch((error: unknown) => console.error(`cleanup failed: ${(error as Error).message}`));
  }
}

/** Starts a child process that is killed when the benchmark ends, however it ends. */
export function spawnChild(command: string, args: string[], options: Parameters<typeof spawn>[2] = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"], ...options });
  children.add(child);
  return child;
}

export async function kill(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

/** Waits for the first stdout line starting with `{` and parses it. */
export function firstJsonLine<T>(child: ChildProcess, what: string, timeoutMs = 20_000): Promise<T> {
  let output = "";
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${output}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as T);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${output}`));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  host: string;
  port: number;
  adminToken: string;
}

const serverModule = fileURLToPath(import.meta.resolve("@darklaunch/server"));

/** A darklaunch server (`createServer(options)`) in a process of its own, on an ephemeral port. */
export async function startServerProcess(options: Record<string, unknown> & { adminToken: string }): Promise<ServerProcess> {
  const script = `
    import { createServer } from ${JSON.stringify(serverModule)};
    const server = await createServer(${JSON.stringify({ logger: false, ...options })});
    console.log(JSON.stringify({ url: await server.listen(0, "127.0.0.1") }));
  `;
  const child = spawnChild(process.execPath, ["--input-type=module", "-e", script]);
  const { url } = await firstJsonLine<{ url: string }>(child, "server");
  const parsed = new URL(url);
  return { child, url, host: parsed.hostname, port: Number(parsed.port), adminToken: options.adminToken };
}

/** The Postgres the benchmarks use, the tests' one (CONTRIBUTING.md); override with TEST_DATABASE_URL. */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Two server processes (`options` plus the database's URL) on a new database of POSTGRES_URL; both are
 * killed and the database dropped at the next `runCleanups()`. When Postgres is unreachable, prints
 * SKIPPED and resolves undefined.
 */
export async function startPostgresReplicas(
  options: Record<string, unknown> & { adminToken: string },
): Promise<{ database: string; a: ServerProcess; b: ServerProcess } | undefined> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`  SKIPPED: Postgres at ${POSTGRES_URL} is unreachable (${(error as Error).message})`);
    return undefined;
  }
  const database = `darklaunch_bench_${randomBytes(6).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  onCleanup(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  const replicaOptions = { ...options, databaseUrl: url.toString() };
  // One after the other: each runs the migrations at start.
  const a = await startServerProcess(replicaOptions);
  onCleanup(() => kill(a.child));
  const b = await startServerProcess(replicaOptions);
  onCleanup(() => kill(b.child));
  return { database, a, b };
}

const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Closes the API's idle sockets so the benchmark can exit. */
export function closeApi(): void {
  apiAgent.destroy();
}

/** One admin API call over node:http with a keep-alive agent of the benchmark's own. */
export function apiRequest(
  server: ServerProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const payload = body === undefined ? "" : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: server.host,
        port: server.port,
        method,
        path,
        agent: apiAgent,
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text === "" ? undefined : JSON.parse(text) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

export async function expectStatus(status: number, response: Promise<{ status: number; body: unknown }>): Promise<unknown> {
  const result = await response;
  if (result.status !== status) throw new Error(`expected ${status}, got ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body;
}

/** Creates `flags` through the admin API, then an SDK token named `tokenName`; resolves with its secret. */
export async function createFlagsAndToken(server: ServerProcess, flags: readonly unknown[], tokenName: string): Promise<string> {
  for (const flag of flags) await expectStatus(201, apiRequest(server, "POST", "/api/v1/flags", flag));
  const token = (await expectStatus(201, apiRequest(server, "POST", "/api/v1/tokens", { name: tokenName, scope: "sdk" }))) as {
    secret: string;
  };
  return token.secret;
}

function procStatus(pid: number | undefined, field: "VmRSS" | "VmHWM"): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in MiB, from /proc (Linux); undefined elsewhere. */
export function rssMiB(pid: number | undefined): number | undefined {
  return procStatus(pid, "VmRSS");
}

/** Peak resident set size (high-water mark) of a process in MiB, from /proc (Linux). */
export function peakRssMiB(pid: number | undefined): number | undefined {
  return procStatus(pid, "VmHWM");
}

export function formatMiB(value: number | undefined): string {
  return value === undefined ? "n/a" : `${value.toFixed(1)} MiB`;
}
