/**
 * A tiny node:http server that speaks the SDK endpoints' contract, or fails in chosen ways, for the
 * tests whose subject is the client's handling of failures. Test-only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface FakeServer {
  url: string;
  /** Requests per path, e.g. `counts["/api/v1/sdk/stream"]`. */
  counts: Record<string, number>;
  /** Bodies received on the telemetry endpoint. */
  telemetry: unknown[];
  /** Bodies received on the observations endpoint (unless a handler is set for it). */
  observations: unknown[];
  /** Open stream responses, to write to or cut. */
  streams: Set<ServerResponse>;
  /** The most streams ever open at once. */
  maxStreams: number;
  handle: (path: string, handler: Handler) => void;
  close(): Promise<void>;
}

export function rulesetWith(flags: Record<string, unknown>[]): Record<string, unknown> {
  return { flags, segments: [], overrides: [] };
}

export function boolFlag(key: string, enabled: boolean, version = 1): Record<string, unknown> {
  return { key, variants: { on: true, off: false }, offVariant: "off", enabled, fallthrough: { variant: "on" }, version };
}

export function sse(event: string, data: unknown, id?: unknown): string {
  return `event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

/** A stream handler that sends `put` with the snapshot and keeps the connection open. */
export function streamOf(fake: () => FakeServer, snapshot: () => { revision: unknown; ruleset: unknown }): Handler {
  return (_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const current = snapshot();
    response.write(sse("put", current, current.revision));
    const server = fake();
    server.streams.add(response);
    response.on("close", () => fake().streams.delete(response));
    // A client that closed its old stream before opening this one sent the close first, but on a
    // busy server both can be read in one turn, in either order, and a socket's "close" comes in
    // the turn's close phase: counted one turn later, a stream that is already gone is not counted.
    setImmediate(() => setImmediate(() => (server.maxStreams = Math.max(server.maxStreams, server.streams.size))));
  };
}

export async function startFakeServer(): Promise<FakeServer> {
  const handlers = new Map<string, Handler>();
  const counts: Record<string, number> = {};
  const telemetry: unknown[] = [];
  const observations: unknown[] = [];
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    counts[path] = (counts[path] ?? 0) + 1;
    const sink = path === "/api/v1/sdk/telemetry" ? telemetry : path === "/api/v1/observations" ? observations : undefined;
    if (sink && !handlers.has(path)) {
      readJson(request).then((body) => {
        sink.push(body);
        response.writeHead(202).end();
      });
      return;
    }
    const handler = handlers.get(path);
    if (handler) handler(request, response);
    else response.writeHead(404, { "content-type": "application/json" }).end('{"code":"NOT_FOUND"}');
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    maxStreams: 0,
    url: `http://127.0.0.1:${port}`,
    counts,
    telemetry,
    observations,
    streams,
    handle: (path, handler) => handlers.set(path, handler),
    async close() {
      for (const stream of streams) stream.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The JSON body of a request. */
export function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => resolve(JSON.parse(body)));
    request.on("error", reject);
  });
}

/** Resolves with the first event `on` delivers that satisfies `test`, or rejects after `ms`. */
export function waitFor<T>(
  subscribe: (listener: (value: T) => void) => () => void,
  test: (value: T) => boolean = () => true,
  ms = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const off = subscribe((value) => {
      if (!test(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A caller of a real server's API with an admin token: `(url, method, path, body?)` → the status and the JSON body (`{}` when empty). */
export function adminApi(
  token: string,
): (url: string, method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return async (url, method, path, body) => {
    const response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text === "" ? {} : JSON.parse(text) };
  };
}
