/**
 * A proxy worker under node:cluster (started by `startProxyCluster`, never by hand): serves on the
 * shared port with its own flag client, hands its observations to the primary every second (the
 * primary reports them once per window), and answers the primary's metrics requests (prom-client).
 */
// First, before anything loads undici: see fetch-dispatcher.ts.
import "./fetch-dispatcher.js";
import process from "node:process";
import { AggregatorRegistry } from "prom-client";
import { WORKER_CONFIG_ENV, type WorkerMessage } from "./proxy-cluster.js";
import { parseProxyConfig } from "./proxy-config.js";
import { clientFor, startProxy } from "./start-proxy.js";

const HAND_OVER_MS = 1000;

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

const config = parseProxyConfig(JSON.parse(process.env[WORKER_CONFIG_ENV] ?? "{}"));
const client = clientFor(config, false);
// A worker does not report (so never learns the server's minute): its windows take the configured one.
if (config.minuteMs !== undefined) client.observations.setMinute(config.minuteMs);
try {
  const proxy = await startProxy(config, { client, admin: false });
  // Constructing one installs prom-client's answer to the primary's metrics requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([proxy.registry]);
  const handOver = async () => {
    const windows = client.observations.drain();
    if (windows.length > 0) await send({ type: "darklaunch-proxy:windows", windows });
  };
  const timer = setInterval(() => void handOver(), HAND_OVER_MS);
  let closing = false;
  process.on("message", async (message: { type?: string }) => {
    if (message?.type !== "darklaunch-proxy:close" || closing) return;
    closing = true;
    clearInterval(timer);
    await proxy.close();
    await client.close();
    await handOver();
    process.exit(0);
  });
  // The primary handles the signals; a worker only leaves when told (or when the primary is gone).
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => {});
  process.on("disconnect", () => process.exit(0));
  await send({ type: "darklaunch-proxy:listening", url: proxy.url });
} catch (error) {
  await send({ type: "darklaunch-proxy:failed", message: (error as Error).message });
  await client.close();
  process.exit(1);
}
