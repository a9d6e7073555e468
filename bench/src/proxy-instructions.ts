/**
 * `PROXY_BENCH_INSTRUCTIONS=1 npm run bench:proxy`: CPU per request as instructions, counted by
 * valgrind's callgrind, for the proxy processes (ours and the bare floor). A shared machine's
 * speed changes from minute to minute (the floor alone measured 55–92 µs per request within one
 * run); instructions executed do not. Each proxy runs under callgrind with instrumentation off; after
 * a warm-up at near-native speed it is switched on and a fixed number of requests is sent in
 * batches, the counters dumped after each. Instructions include V8's compiler and GC, as CPU time
 * does; they do not weigh cache misses or system calls' time, so they complement µs/request.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { Pool } from "undici";
import { intKnob } from "./env-knobs.js";

export const INSTRUCTIONS = process.env.PROXY_BENCH_INSTRUCTIONS === "1";
const WARMUP_REQUESTS = 10_000;
const BATCH_REQUESTS = 5_000;
const BATCHES = intKnob("PROXY_BENCH_BATCHES", 5);
const CONCURRENCY = 10;

/** What `instructionsPerRequest` sends, in words for the report. */
export const INSTRUCTION_PLAN = `${WARMUP_REQUESTS} requests warm-up, then ${BATCHES} batches of ${BATCH_REQUESTS} over ${CONCURRENCY} connections`;

/**
 * The command that runs a proxy: `node …`, or under callgrind (instrumentation off until measured),
 * its dumps in `outDir()` (asked for only then).
 */
export function proxyCommand(nodeArgs: readonly string[], outDir: () => string): [string, string[]] {
  if (!INSTRUCTIONS) return [process.execPath, [...nodeArgs]];
  return [
    "valgrind",
    [
      "--tool=callgrind",
      "--quiet",
      "--instr-atstart=no",
      // V8 writes and rewrites machine code: valgrind must notice code changing outside files.
      "--smc-check=all-non-file",
      `--callgrind-out-file=${outDir()}/callgrind.%p`,
      process.execPath,
      ...nodeArgs,
    ],
  ];
}

/** Sends `n` GETs to `url` over `CONCURRENCY` keep-alive connections; how many got a 200. */
async function drive(url: string, n: number): Promise<number> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: CONCURRENCY });
  let sent = 0;
  let ok = 0;
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < n) {
          sent++;
          const response = await pool.request({ path: target.pathname, method: "GET" });
          await response.body.dump();
          if (response.statusCode === 200) ok++;
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return ok;
}

/** Dumps (and zeroes) the counters of callgrind process `pid`; the instructions since the last dump. */
function dump(pid: number, outDir: string): number {
  execFileSync("callgrind_control", ["--dump", String(pid)], { stdio: "ignore" });
  const prefix = `callgrind.${pid}.`;
  const latest = readdirSync(outDir)
    .filter((f) => f.startsWith(prefix))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .at(-1);
  if (latest === undefined) throw new Error(`callgrind wrote no dump for ${pid} in ${outDir}`);
  const totals = /^totals: (\d+)/m.exec(readFileSync(`${outDir}/${latest}`, "utf8"));
  if (totals === null) throw new Error(`no totals in ${outDir}/${latest}`);
  return Number(totals[1]);
}

/** Instructions per request of the proxy process `pid`, one figure per batch. */
export async function instructionsPerRequest(url: string, pid: number, outDir: string): Promise<number[]> {
  await drive(url, WARMUP_REQUESTS);
  execFileSync("callgrind_control", ["--instr=on", String(pid)], { stdio: "ignore" });
  dump(pid, outDir);
  const out: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const ok = await drive(url, BATCH_REQUESTS);
    if (ok !== BATCH_REQUESTS) throw new Error(`${BATCH_REQUESTS - ok} of ${BATCH_REQUESTS} requests failed under callgrind`);
    out.push(dump(pid, outDir) / BATCH_REQUESTS);
  }
  return out;
}
