/**
 * Load and process figures for `bench:proxy`: wrk (a load generator written in C, so the
 * generator does not hide the proxy's cost on a small machine), installed from Debian when it is
 * missing and we may; autocannon (Node, on the same cores) only as a fallback, which the output
 * names. CPU time and peak memory of a process tree come from /proc.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";

export interface LoadResult {
  requests: number;
  reqPerSec: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export type Generator = "wrk" | "autocannon";

function onPath(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure `command` is there, installing the Debian `pkg` when allowed (root, and
 * PROXY_BENCH_INSTALL is not 0). Returns whether the command can be used.
 */
export function ensureInstalled(command: string, pkg: string): boolean {
  if (onPath(command)) return true;
  const allowed = process.env.PROXY_BENCH_INSTALL !== "0" && process.getuid?.() === 0;
  if (!allowed) return false;
  console.log(`installing ${pkg} (apt-get install -y ${pkg}; PROXY_BENCH_INSTALL=0 to skip) …`);
  try {
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", pkg], { stdio: "ignore" });
  } catch {
    try {
      execFileSync("apt-get", ["update"], { stdio: "ignore" });
      execFileSync("apt-get", ["install", "-y", "--no-install-recommends", pkg], { stdio: "ignore" });
    } catch {
      return false;
    }
  }
  return onPath(command);
}

// wrk's `done` hook prints the figures as one JSON line: no parsing of its human-readable table.
const WRK_SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK-JSON {"requests":%d,"durationUs":%d,"p50Us":%.1f,"p99Us":%.1f,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

let scriptPath: string | undefined;

/** One closed-loop run of `seconds` with `connections` connections against `url`. */
export async function runLoad(generator: Generator, url: string, connections: number, seconds: number): Promise<LoadResult> {
  if (generator === "autocannon") {
    const r = await autocannon({ url, connections, duration: seconds });
    return {
      requests: r.requests.total,
      reqPerSec: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
    };
  }
  if (scriptPath === undefined) {
    scriptPath = join(tmpdir(), `darklaunch-bench-wrk-${process.pid}.lua`);
    writeFileSync(scriptPath, WRK_SCRIPT);
  }
  // One wrk thread: the machine's cores are shared with the proxy and backends under test.
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", scriptPath, url];
  const out = await new Promise<string>((resolve, reject) => {
    execFile("wrk", args, { encoding: "utf8" }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
  const line = out.split("\n").find((l) => l.startsWith("WRK-JSON "));
  if (line === undefined) throw new Error(`wrk printed no figures:\n${out}`);
  const r = JSON.parse(line.slice("WRK-JSON ".length)) as {
    requests: number;
    durationUs: number;
    p50Us: number;
    p99Us: number;
    errors: number;
    non2xx: number;
  };
  return {
    requests: r.requests,
    reqPerSec: r.requests / (r.durationUs / 1e6),
    p50: r.p50Us / 1000,
    p99: r.p99Us / 1000,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process and its descendants (cluster workers, nginx's worker). */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    const children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter(Boolean)
      .map(Number);
    for (const child of children) out.push(...processTree(child));
  } catch {
    // no children
  }
  return out;
}

/** User + system CPU time of the processes, in microseconds. */
export function cpuMicros(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks / TICKS_PER_SECOND) * 1e6;
}

/** Sum of the processes' peak resident sets (VmHWM), in MiB. */
export function peakMiB(pids: readonly number[]): number | undefined {
  let kib = 0;
  let found = false;
  for (const pid of pids) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (match !== null) {
        kib += Number(match[1]);
        found = true;
      }
    } catch {
      // gone
    }
  }
  return found ? kib / 1024 : undefined;
}
