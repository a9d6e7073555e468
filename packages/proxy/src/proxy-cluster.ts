import cluster, { type Worker } from "node:cluster";
import { createServer, type Server } from "node:http";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { DarkLaunchError, type ObservationWindow } from "@darklaunch/core";
import { AggregatorRegistry } from "prom-client";
import { type ProxyConfig, type ProxyConfigInput, parseProxyConfig } from "./proxy-config.js";
import { clientFor, listen, stop } from "./start-proxy.js";

/** What a worker tells its primary. */
export type WorkerMessage =
  | { type: "darklaunch-proxy:listening"; url: string }
  | { type: "darklaunch-proxy:failed"; message: string }
  | { type: "darklaunch-proxy:windows"; windows: ObservationWindow[] };

/** The environment variable that hands a worker its configuration. */
export const WORKER_CONFIG_ENV = "DARKLAUNCH_PROXY_WORKER_CONFIG";

/** A proxy running on several processes: the workers serve, the primary reports and serves `/metrics`. */
export interface RunningProxyCluster {
  url: string;
  adminUrl: string;
  config: ProxyConfig;
  workers: number;
  /** The Prometheus text of every worker's metrics, summed. */
  metrics(): Promise<string>;
  /** Observations sent by the primary (the only process that reports). */
  observationStats(): { sentWindows: number; pendingWindows: number };
  /** Drains every worker (in-flight requests, mirrors, comparisons), merges their last observations and flushes them. */
  close(): Promise<void>;
}

/** `--workers`: a whole number of at least 1, or `auto` for the machine's cores. */
export function workerCount(value: string | number | undefined): number {
  if (value === undefined) return 1;
  if (value === "auto") return availableParallelism();
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 256)
    throw new DarkLaunchError("PROXY_CONFIG", 400, `workers: must be a whole number from 1 to 256 or "auto", got ${JSON.stringify(value)}`);
  return n;
}

const HERE = fileURLToPath(import.meta.url);
// Under a TypeScript test runner this module is the source: the worker runs the build, with plain Node options.
const FROM_SOURCE = HERE.endsWith(".ts");
const WORKER_SCRIPT = FROM_SOURCE
  ? HERE.replace(/\/src\/proxy-cluster\.ts$/, "/dist/proxy-worker.js")
  : HERE.replace(/proxy-cluster\.js$/, "proxy-worker.js");

/**
 * Starts the proxy on `workers` processes (node:cluster; they share the listening port). Each
 * worker evaluates flags with its own SDK client and sends its observations to the primary, which
 * merges them into its own recorder: the server gets one report per window, not one per worker.
 * The primary serves `/metrics` (every worker's series summed; breaker state the worst, divergence
 * the mean) and `/healthz`. A worker that dies is replaced.
 */
export async function startProxyCluster(input: ProxyConfigInput | ProxyConfig, workers: number): Promise<RunningProxyCluster> {
  const config = parseProxyConfig(input);
  if (!cluster.isPrimary) throw new DarkLaunchError("PROXY_CLUSTER", 500, "startProxyCluster runs in the primary process");
  const client = clientFor(config);
  const aggregator = new AggregatorRegistry();
  let closing: Promise<void> | undefined;
  const admin: Server = createServer((req, res) => {
    req.resume();
    const path = (req.url ?? "/").split("?")[0];
    const read = req.method === "GET" || req.method === "HEAD";
    if (read && path === "/metrics") {
      aggregator.clusterMetrics().then(
        (text) => res.writeHead(200, { "content-type": aggregator.contentType }).end(text),
        () =>
          res
            .writeHead(503, { "content-type": "application/json" })
            .end('{"code":"METRICS_UNAVAILABLE","message":"a worker did not answer"}'),
      );
    } else if (read && path === "/healthz") {
      res
        .writeHead(closing === undefined ? 200 : 503, { "content-type": "application/json" })
        .end(closing === undefined ? '{"status":"ok"}' : '{"status":"draining"}');
    } else {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ code: "NOT_FOUND", message: `no admin endpoint ${path}` }));
    }
  });

  // Mirrors per second are the route's over all workers: each takes its share.
  const share: ProxyConfig = {
    ...config,
    routes: config.routes.map((r) => (r.mirrorRate === undefined ? r : { ...r, mirrorRate: r.mirrorRate / workers })),
  };
  cluster.setupPrimary({ exec: WORKER_SCRIPT, args: [], ...(FROM_SOURCE ? { execArgv: [] } : {}) });
  const onMessage = (_worker: Worker, message: WorkerMessage) => {
    if (message?.type === "darklaunch-proxy:windows") client.observations.restore(message.windows);
  };
  cluster.on("message", onMessage);
  const fork = (): Promise<string> => {
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(share) });
    let up = false;
    return new Promise((resolve, reject) => {
      const started = (message: WorkerMessage) => {
        if (message?.type === "darklaunch-proxy:listening") {
          up = true;
          resolve(message.url);
        } else if (message?.type === "darklaunch-proxy:failed") reject(new DarkLaunchError("PROXY_LISTEN", 500, message.message));
        else return;
        worker.off("message", started);
      };
      worker.on("message", started);
      worker.once("exit", (code) => {
        reject(new DarkLaunchError("PROXY_CLUSTER", 500, `a proxy worker exited with ${code} while starting`));
        // A worker that dies while serving is replaced; one that exits while closing is done.
        if (closing === undefined && up) fork().catch(() => {});
      });
    });
  };
  let url: string;
  let adminUrl: string;
  try {
    const urls = await Promise.all(Array.from({ length: workers }, fork));
    url = urls[0] as string;
    adminUrl = await listen(admin, config.adminListen, "adminListen");
  } catch (error) {
    await shutdown();
    throw error;
  }

  async function shutdown(): Promise<void> {
    const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    await Promise.all(
      live.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once("exit", () => resolve());
            // The worker drains, sends its last windows, then exits.
            worker.send({ type: "darklaunch-proxy:close" });
          }),
      ),
    );
    cluster.off("message", onMessage);
    await stop(admin);
    await client.close();
  }

  return {
    url,
    adminUrl,
    config,
    workers,
    metrics: () => aggregator.clusterMetrics(),
    observationStats: () => client.observationStats(),
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
