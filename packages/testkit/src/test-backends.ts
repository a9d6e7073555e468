import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { type ProxyConfigInput, type RunningProxy, startProxy } from "@darklaunch/proxy";
import { createClient, type DarkLaunchClient } from "@darklaunch/sdk";
import { afterEach } from "vitest";

/** A request a test backend received, body read in full. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface TestBackend {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** What a test backend does with a request: answers it, or never does (tests return "hang" to say so). */
export type Answer = (request: Received, response: ServerResponse) => unknown;

/** A real HTTP backend on an ephemeral 127.0.0.1 port (or `port`) that records what it receives. */
export async function startBackend(answer: Answer, port = 0): Promise<TestBackend> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() };
      received.push(request);
      answer(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** JSON with a content-type, as most backends answer. */
export function json(response: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

/**
 * A URL on which nothing listens. The port lies below the kernel's ephemeral range, from which every
 * `listen(0)` of the tests running in parallel takes its port (and every connection its source
 * port): a port that was merely free a moment ago could be taken by another test's server meanwhile,
 * which then answers instead of the refusal the test expects.
 */
export async function deadUrl(): Promise<{ url: string; port: number }> {
  for (let port = ephemeralLow() - 1; port >= 1024; port--) {
    if (await isRefused(port)) return { url: `http://127.0.0.1:${port}`, port };
  }
  throw new Error("no free port below the ephemeral range for a dead URL");
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** Nothing listens on `port`: a connection is refused (probed by connecting, so nothing is bound meanwhile). */
function isRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/** A real SDK client, offline, serving one flag whose every subject gets `value` (e.g. "shadow", "dark", true). */
export function clientServing(flag: string, value: string | boolean): DarkLaunchClient {
  const variants = typeof value === "boolean" ? { on: true, off: false } : { stable: "stable", shadow: "shadow", dark: "dark" };
  const variant = typeof value === "boolean" ? (value ? "on" : "off") : value;
  const offVariant = typeof value === "boolean" ? "off" : "stable";
  return createClient({
    offline: true,
    bootstrap: { flags: [{ key: flag, variants, offVariant, enabled: true, fallthrough: { variant } }] },
  });
}

/** Waits until `check` holds (polling), failing with `what` after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Route = ProxyConfigInput["routes"][number];

/** What a proxy test file works with; everything it starts is closed after each test. */
export interface ProxyTestKit {
  /** A test backend, closed after the test. */
  backend(answer: Answer, port?: number): Promise<TestBackend>;
  /** A proxy with one catch-all route for the kit's flag, closed (then its client) after the test. */
  proxyFor(client: DarkLaunchClient, route: Omit<Route, "flag" | "match"> & Partial<Route>): Promise<RunningProxy>;
  /** Steps run after each test, last first: proxies drain against backends before those close. */
  cleanup: (() => Promise<unknown>)[];
}

/** Registers the after-each cleanup of a proxy test file and returns its helpers. */
export function proxyTestKit(flag: string): ProxyTestKit {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  return {
    cleanup,
    async backend(answer, port) {
      const b = await startBackend(answer, port);
      cleanup.unshift(() => b.close());
      return b;
    },
    async proxyFor(client, route) {
      const proxy = await startProxy(
        { listen: "127.0.0.1:0", adminListen: "127.0.0.1:0", routes: [{ match: { pathPrefix: "/" }, flag, ...route }] },
        { client, warn: () => {} },
      );
      cleanup.push(async () => {
        await proxy.close();
        await client.close();
      });
      return proxy;
    },
  };
}

/** A backend answer: JSON naming stable and the URL it was asked for. */
export const ok: Answer = (request, response) => json(response, { from: "stable", url: request.url });
