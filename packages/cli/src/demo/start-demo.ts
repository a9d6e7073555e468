import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DestinationCreated, seededRandom, type TokenCreated } from "@darklaunch/core";
import type { RunningProxy } from "@darklaunch/proxy";
import type { DarkLaunchServer } from "@darklaunch/server";
import { ApiClient, apiPath } from "../client.js";
import { BASE_ERROR_RATE, DARK_DELAY_MS, DEMO_FLAG, DEMO_FLAG_BODY, STABLE_DELAY_MS } from "./demo-plan.js";
import { type SampleService, startSampleService } from "./sample-service.js";
import { startTraffic, type TrafficGenerator } from "./traffic-generator.js";
import { type ReceivedAlert, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

export interface DemoSettings {
  /** The control plane's port (0: a free one). */
  port: number;
  seed: number;
  /** Requests per second. */
  rate: number;
  minuteMs: number;
}

/** Everything the demo started, for the watch loop and the summary. */
export interface DemoParts {
  dir: string;
  dbPath: string;
  url: string;
  adminToken: string;
  hasDashboard: boolean;
  server: DarkLaunchServer;
  api: ApiClient;
  stable: SampleService;
  secondary: SampleService;
  dark: SampleService;
  receiver: WebhookReceiver;
  proxy: RunningProxy;
  traffic: TrafficGenerator;
}

/** What is closed at the end, last started first. */
export type Closers = (() => Promise<void> | void)[];

/**
 * Starts the demo's parts on free 127.0.0.1 ports over a SQLite store in a new temporary
 * directory: control plane (with the dashboard when built), alert receiver and its destination,
 * stable / secondary / dark services, the proxy in front of them, and the traffic. Each part's
 * closer is pushed on `closers` as soon as it runs, so a failure half-way leaves nothing behind.
 */
export async function startDemo(
  settings: DemoSettings,
  closers: Closers,
  hooks: { onAlert: (received: ReceivedAlert) => void; warn: (line: string) => void },
): Promise<DemoParts> {
  const dir = mkdtempSync(join(tmpdir(), "darklaunch-demo-"));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, "darklaunch.db");

  // Loaded here, not at the top: the other verbs start faster without Fastify, the drivers and undici.
  const { createServer, serverLogger } = await import("@darklaunch/server");
  const { startProxy } = await import("@darklaunch/proxy");
  const server = await createServer({
    sqlitePath: dbPath,
    minuteMs: settings.minuteMs,
    // The receiver listens on 127.0.0.1, which webhooks may not reach by default.
    allowPrivateWebhookTargets: true,
    // Errors only, as JSON lines on stderr: stdout is the demo's story.
    logger: serverLogger({ destination: { write: (line) => hooks.warn(line.trimEnd()) } }),
  });
  closers.push(() => server.close());
  const url = await server.listen(settings.port, "127.0.0.1");
  const adminToken = server.createdAdminToken;
  if (adminToken === undefined) throw new Error("the new store made no admin token");
  const api = new ApiClient(url, adminToken);

  const sdk = await api.send<TokenCreated>("POST", apiPath("tokens"), { name: "demo proxy", scope: "sdk" });
  await api.send("POST", apiPath("flags"), DEMO_FLAG_BODY);

  const receiver = await startWebhookReceiver(hooks.onAlert);
  closers.push(() => receiver.close());
  const destination = await api.send<DestinationCreated>("POST", apiPath("alerts", "destinations"), {
    name: "demo receiver",
    url: receiver.url,
    flag: DEMO_FLAG,
  });
  receiver.setSecret(destination.secret);

  // One seed, a stream per part: the same --seed replays the same users, delays and failures.
  const service = async (role: "stable" | "secondary" | "dark", offset: number) => {
    const started = await startSampleService({
      role,
      random: seededRandom(settings.seed * 7919 + offset),
      errorRate: BASE_ERROR_RATE,
      meanDelayMs: role === "dark" ? DARK_DELAY_MS : STABLE_DELAY_MS,
    });
    closers.push(() => started.close());
    return started;
  };
  const stable = await service("stable", 1);
  const secondary = await service("secondary", 2);
  const dark = await service("dark", 3);

  const proxy = await startProxy(
    {
      listen: "127.0.0.1:0",
      adminListen: "127.0.0.1:0",
      controlPlane: { url, token: sdk.secret },
      // Windows of the server's short minute from the first request on, not only once learned from its answer.
      minuteMs: settings.minuteMs,
      routes: [
        {
          name: "quote",
          match: { pathPrefix: "/quote" },
          flag: DEMO_FLAG,
          subject: "header:x-user-id",
          stable: stable.url,
          dark: dark.url,
          secondary: secondary.url,
          // A busy machine (the demo shares it with everything else) must not turn slow mirrors into dark's errors.
          timeoutMs: 10_000,
        },
      ],
    },
    { warn: (message) => hooks.warn(`darklaunch proxy: ${message}`) },
  );
  closers.push(() => proxy.close());

  const traffic = startTraffic({ target: proxy.url, rate: settings.rate, random: seededRandom(settings.seed) });
  closers.push(() => traffic.stop());

  return {
    dir,
    dbPath,
    url,
    adminToken,
    hasDashboard: server.app.hasRoute({ method: "GET", url: "/" }),
    server,
    api,
    stable,
    secondary,
    dark,
    receiver,
    proxy,
    traffic,
  };
}
