import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DarkLaunchError, ObservationRecorder, type RedactionOptions } from "@darklaunch/core";
import { type ClientOptions, createClient, type DarkLaunchClient } from "@darklaunch/sdk";
import type { Registry } from "prom-client";
import { Backend } from "./backend.js";
import { BREAKER_STATE_VALUE } from "./circuit-breaker.js";
import { ComparisonQueue } from "./comparison-queue.js";
import { ConnectionDrainer } from "./connection-drainer.js";
import { Mirror } from "./mirror.js";
import { type ProxyConfig, type ProxyConfigInput, parseAddress, parseProxyConfig } from "./proxy-config.js";
import type { ObservationSink, ProxyContext } from "./proxy-context.js";
import { type ActiveRoute, type FlagEvaluator, ProxyHandler } from "./proxy-handler.js";
import { ProxyMetrics } from "./proxy-metrics.js";
import { emptyStats, type ProxyStats } from "./proxy-stats.js";

/** What the proxy needs of its flag client: the SDK's `DarkLaunchClient` (with its `observations` recorder) fits. */
export interface ProxyClient extends FlagEvaluator {
  /** Where observations go; the client flushes them to the server. Absent: verdicts feed metrics only. */
  readonly observations?: ObservationSink | undefined;
  ready?(): Promise<unknown>;
  close(): Promise<void>;
}

export interface StartProxyOptions {
  /**
   * The flag client. Default: an SDK client for `config.controlPlane`, reporting observations with
   * source `proxy`, closed (and so flushed) by `close()`. A client given here is left open: its owner closes it.
   */
  client?: ProxyClient;
  /** Where unexpected errors are reported (default stderr). */
  warn?: (message: string) => void;
  /** False: no admin server (a cluster worker; the primary serves `/metrics` for all). Default true. */
  admin?: boolean;
}

/** A proxy that is listening. */
export interface RunningProxy {
  /** `http://host:port` of the proxy. */
  url: string;
  /** `http://host:port` of `/metrics` and `/healthz` ("" when started with `admin: false`). */
  adminUrl: string;
  config: ProxyConfig;
  /** Counters since start (a copy). */
  stats(): ProxyStats;
  /** The proxy's own Prometheus registry (a cluster primary collects it from each worker). */
  readonly registry: Registry;
  /** The Prometheus text `/metrics` serves. */
  metrics(): Promise<string>;
  /** Stops accepting, lets in-flight requests and mirrors finish, runs queued comparisons, flushes observations. */
  close(): Promise<void>;
}

const DRAIN_LIMIT_MS = 10_000;

/**
 * Starts the shadow / split proxy described by `config` (validated with `parseProxyConfig`).
 *
 * @example
 * const proxy = await startProxy({
 *   listen: "127.0.0.1:8080",
 *   controlPlane: { url: "http://127.0.0.1:4700", token: process.env.DARKLAUNCH_SDK_TOKEN! },
 *   routes: [{ match: { pathPrefix: "/" }, flag: "checkout-v2", subject: "header:x-user-id",
 *              stable: "http://127.0.0.1:3000", dark: "http://127.0.0.1:3001" }],
 * });
 * console.log(proxy.url, proxy.stats().mirrors.sent);
 * await proxy.close();
 */
export async function startProxy(input: ProxyConfigInput | ProxyConfig, options: StartProxyOptions = {}): Promise<RunningProxy> {
  const config = parseProxyConfig(input);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`darklaunch proxy: ${message}\n`));
  const ownsClient = options.client === undefined;
  const client = options.client ?? clientFor(config);
  try {
    await client.ready?.();
  } catch (error) {
    // Without flags every request is served by stable: the proxy still proxies.
    warn(`flags are not available yet (${(error as Error).message}); serving stable until they are`);
  }

  const metrics = new ProxyMetrics();
  const stats = emptyStats();
  let background = 0;
  let backgroundDone: (() => void) | undefined;
  let local: ObservationRecorder | undefined;
  let localDrain: NodeJS.Timeout | undefined;
  if (client.observations === undefined) {
    // Observations are off in the client: verdicts still need the recorder's noise rule; nothing is kept.
    local = new ObservationRecorder({
      source: "proxy",
      maxWindows: 1000,
      ...(config.minuteMs === undefined ? {} : { minuteMs: config.minuteMs }),
    });
    localDrain = setInterval(() => local?.drain(), 60_000).unref();
  }
  const context: ProxyContext = {
    metrics,
    stats,
    observations: client.observations ?? (local as ObservationRecorder),
    // Each queued comparison holds up to three bodies of bodyLimit: keep the queue short.
    queue: new ComparisonQueue(256, 32, (error) => warn(`a comparison failed: ${String(error)}`)),
    begin() {
      background++;
    },
    end() {
      background--;
      if (background === 0) backgroundDone?.();
    },
    warn: (message, error) => warn(error === undefined ? message : `${message}: ${error instanceof Error ? error.message : String(error)}`),
  };

  // Every route is reported each minute, traffic or not: a quiet minute is not a missing one.
  for (const route of config.routes) client.observations?.watch?.(route.flag, route.name);

  const backends = new Map<string, Backend>();
  const refreshBreakers = () => {
    for (const backend of backends.values()) metrics.breakerState.set({ backend: backend.url }, BREAKER_STATE_VALUE[backend.breaker.state]);
  };
  const backendFor = (url: string, route: ProxyConfig["routes"][number]) => {
    let backend = backends.get(url);
    if (backend === undefined) {
      backend = new Backend(url, route.breaker, refreshBreakers);
      backends.set(url, backend);
    }
    return backend;
  };
  const routes: ActiveRoute[] = config.routes.map((route) => {
    const stable = backendFor(route.stable, route);
    const dark = backendFor(route.dark, route);
    const secondary = route.secondary === undefined ? undefined : backendFor(route.secondary, route);
    return { config: route, stable, dark, mirror: new Mirror(route, dark, secondary, context) };
  });
  refreshBreakers();

  const handler = new ProxyHandler(routes, client, context);
  const proxyServer = createServer({ keepAliveTimeout: 65_000 }, (req, res) => handler.handle(req, res));
  const proxyDrainer = new ConnectionDrainer(proxyServer);
  let closing: Promise<void> | undefined;
  const adminServer: Server = createServer((req, res) => {
    admin(req, res, metrics, refreshBreakers, closing !== undefined).catch((error: unknown) => {
      context.warn("the admin endpoint failed", error);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Malformed requests are left to node:http's own clientError handling: 400, 431 for huge
  // headers, 408 on timeout, and nothing written into a response already under way.

  const closeBackends = async () => {
    await Promise.allSettled([...backends.values()].map((b) => b.close()));
  };
  let url: string;
  let adminUrl: string;
  try {
    url = await listen(proxyServer, config.listen, "listen");
    adminUrl = options.admin === false ? "" : await listen(adminServer, config.adminListen, "adminListen");
  } catch (error) {
    await Promise.allSettled([proxyDrainer.drain(0), stop(adminServer), closeBackends(), ownsClient ? client.close() : undefined]);
    clearInterval(localDrain);
    throw error;
  }

  return {
    url,
    adminUrl,
    config,
    registry: metrics.registry,
    stats() {
      const copy = structuredClone(stats);
      for (const backend of backends.values())
        copy.breakers[backend.url] = { state: backend.breaker.state, probes: backend.breaker.probeCount };
      return copy;
    },
    async metrics() {
      refreshBreakers();
      return metrics.registry.metrics();
    },
    close() {
      closing ??= (async () => {
        await proxyDrainer.drain(DRAIN_LIMIT_MS);
        // Mirrors end within their timeout; comparisons queued by them run before observations are flushed.
        if (background > 0)
          await new Promise<void>((resolve) => {
            backgroundDone = resolve;
          });
        await context.queue.idle();
        await Promise.allSettled([closeBackends(), stop(adminServer)]);
        clearInterval(localDrain);
        if (ownsClient) await client.close();
      })();
      return closing;
    },
  };
}

/** The SDK client a proxy process evaluates flags with; `observations: false` for a cluster worker, whose primary reports. */
export function clientFor(config: ProxyConfig, observations = true): DarkLaunchClient {
  if (config.controlPlane === undefined) {
    throw new DarkLaunchError("PROXY_CONFIG", 400, "the proxy needs controlPlane { url, token } (or a client) to evaluate its flags");
  }
  const redaction = mergedRedaction(config);
  const options: ClientOptions = {
    url: config.controlPlane.url,
    token: config.controlPlane.token,
    observations: observations && {
      source: "proxy",
      redaction,
      ...(config.flushIntervalMs === undefined ? {} : { flushIntervalMs: config.flushIntervalMs }),
      ...(config.minuteMs === undefined ? {} : { minuteMs: config.minuteMs }),
    },
  };
  return createClient(options);
}

/** One redaction for the client's recorder: everything any route hides. */
function mergedRedaction(config: ProxyConfig): RedactionOptions {
  const union = (pick: (r: RedactionOptions) => readonly string[] | undefined) => [
    ...new Set(config.routes.flatMap((r) => pick(r.redaction) ?? [])),
  ];
  return {
    headers: union((r) => r.headers),
    paths: union((r) => r.paths),
    query: union((r) => r.query),
    patterns: config.routes.some((r) => r.redaction.patterns !== false),
  };
}

async function admin(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: ProxyMetrics,
  refresh: () => void,
  draining: boolean,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  const read = req.method === "GET" || req.method === "HEAD";
  req.resume();
  if (read && path === "/metrics") {
    refresh();
    const text = await metrics.registry.metrics();
    res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text);
  } else if (read && path === "/healthz") {
    // Draining: in-flight requests still finish, but a load balancer should send no new ones.
    res.writeHead(draining ? 503 : 200, { "content-type": "application/json" }).end(draining ? '{"status":"draining"}' : '{"status":"ok"}');
  } else {
    res
      .writeHead(404, { "content-type": "application/json" })
      .end(JSON.stringify({ code: "NOT_FOUND", message: `no admin endpoint ${path}` }));
  }
}

/** Listens on `host:port`; rejects with an error naming `field` (the port in use, say). */
export function listen(server: Server, address: string, field: string): Promise<string> {
  const parsed = parseAddress(address);
  if (parsed === undefined) return Promise.reject(new DarkLaunchError("PROXY_CONFIG", 400, `${field}: not host:port: ${address}`));
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        new DarkLaunchError(
          "PROXY_LISTEN",
          500,
          error.code === "EADDRINUSE" ? `${field}: ${address} is in use` : `${field}: cannot listen on ${address}: ${error.message}`,
        ),
      );
    server.once("error", failed);
    server.listen(parsed.port, parsed.host, () => {
      server.off("error", failed);
      const { address: host, port } = server.address() as AddressInfo;
      resolve(`http://${host.includes(":") ? `[${host}]` : host}:${port}`);
    });
  });
}

/** The admin server has no long requests: stop it at once. */
export function stop(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
