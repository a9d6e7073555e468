/**
 * @darklaunch/proxy — the shadow / split reverse proxy (docs/architecture.md#dark-paths-and-observations). For a flag's slice of traffic
 * it mirrors requests to a dark backend fire-and-forget (variant `shadow` or `true`) or serves them
 * from dark (variant `dark`), compares stable with dark off the request path, and reports
 * observations through the SDK client; Prometheus metrics on an admin port.
 *
 * @example
 * import { startProxy } from "@darklaunch/proxy";
 * const proxy = await startProxy({
 *   controlPlane: { url: "http://127.0.0.1:4700", token: process.env.DARKLAUNCH_SDK_TOKEN! },
 *   routes: [{ match: { pathPrefix: "/api" }, flag: "search-v2", subject: "header:x-user-id",
 *              stable: "http://127.0.0.1:3000", dark: "http://127.0.0.1:3001" }],
 * });
 * // … SIGTERM:
 * await proxy.close();
 */
// First, before anything loads undici: see fetch-dispatcher.ts.
import "./fetch-dispatcher.js";

export type { BreakerState } from "./circuit-breaker.js";
export { type RunningProxyCluster, startProxyCluster, workerCount } from "./proxy-cluster.js";
export {
  type BreakerConfig,
  DEFAULT_ADMIN_LISTEN,
  DEFAULT_BREAKER,
  DEFAULT_LISTEN,
  DEFAULT_MIRROR_METHODS,
  type ProxyConfig,
  type ProxyConfigInput,
  parseProxyConfig,
  type RouteConfig,
  type SubjectSource,
} from "./proxy-config.js";
export type { ObservationSink } from "./proxy-context.js";
export type { FlagEvaluator } from "./proxy-handler.js";
export type { DropReason } from "./proxy-metrics.js";
export type { ProxyStats } from "./proxy-stats.js";
export { type ProxyClient, type RunningProxy, type StartProxyOptions, startProxy } from "./start-proxy.js";
