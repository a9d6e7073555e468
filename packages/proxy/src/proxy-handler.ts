import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Backend } from "./backend.js";
import { errorReason, isConnectionError } from "./backend.js";
import type { BreakerPermit, CircuitBreaker } from "./circuit-breaker.js";
import { hasDotSegment } from "./dot-segments.js";
import { backendHeaders, clientHeaders } from "./forward-headers.js";
import type { Mirror, MirrorSlot } from "./mirror.js";
import type { RouteConfig } from "./proxy-config.js";
import { type CallOutcome, type ProxyContext, recordCall } from "./proxy-context.js";
import type { BackendRole } from "./proxy-metrics.js";
import { readSubject } from "./read-subject.js";
import { RequestBody } from "./request-body.js";
import { ResponseCapture } from "./response-capture.js";

/** What the proxy needs of a flag client: the SDK's `DarkLaunchClient` fits. */
export interface FlagEvaluator {
  evaluate(flagKey: string, context: Readonly<Record<string, unknown>>): { value: unknown };
}

/** A route with the backends and mirror it runs on. */
export interface ActiveRoute {
  config: RouteConfig;
  stable: Backend;
  dark: Backend;
  mirror: Mirror;
}

export type Mode = "stable" | "shadow" | "dark";

/** `true` or `"shadow"` → shadow; `"dark"` → split; anything else (`false`, `"stable"`, an error's default) → stable. */
export function modeOf(value: unknown): Mode {
  if (value === true || value === "shadow") return "shadow";
  if (value === "dark") return "dark";
  return "stable";
}

type Body = AsyncIterable<Buffer> | Buffer | undefined;

/** How forwarding to one backend ended; `reason` says why it failed. */
interface Forwarded {
  kind: "served" | "unreachable" | "failed" | "aborted";
  reason?: string;
}

/**
 * The request path: route, evaluate, serve (stable or dark), and hand a copy to the mirror. The
 * stable response is streamed to the client as it comes; nothing the mirror does can touch it.
 */
export class ProxyHandler {
  constructor(
    private readonly routes: readonly ActiveRoute[],
    private readonly flags: FlagEvaluator,
    private readonly context: ProxyContext,
  ) {}

  handle(request: IncomingMessage, response: ServerResponse): void {
    this.serve(request, response).catch((error: unknown) => {
      this.context.warn("a request failed unexpectedly", error);
      if (!response.headersSent) sendJson(response, 500, { code: "PROXY_ERROR", message: "the proxy failed on this request" });
      else response.destroy();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = originForm(request.url ?? "/");
    const method = request.method ?? "GET";
    if (url === undefined) {
      request.resume();
      sendJson(response, 400, { code: "BAD_REQUEST", message: "the request target must be a path such as /items?q=1" });
      return;
    }
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (hasDotSegment(path)) {
      // `/api/../admin` would match the `/api` route and reach the backend as `/admin`: refused.
      request.resume();
      sendJson(response, 400, { code: "BAD_REQUEST", message: `the path must not hold "." or ".." segments: ${path.slice(0, 200)}` });
      return;
    }
    const route = this.routes.find((r) => matches(r.config, path, method));
    if (route === undefined) {
      this.context.stats.served.notFound++;
      request.resume();
      sendJson(response, 404, { code: "NO_ROUTE", message: `no proxy route matches ${method} ${path}` });
      return;
    }
    const config = route.config;
    const idHeader = request.headers["x-request-id"];
    // A usable id is passed on; a missing, huge or odd one is replaced, so backends and samples get a sane one.
    const requestId = typeof idHeader === "string" && REQUEST_ID.test(idHeader) ? idHeader : randomUUID();
    const subject = readSubject(config.subject, request.headers, q === -1 ? "" : url.slice(q + 1));
    // No subject: a random position per request, so the flag's percentage still holds for traffic.
    const mode = modeOf(this.evaluate(config.flag, subject ?? randomUUID()));
    const headers = backendHeaders(request.headers, requestId, request.socket.remoteAddress);
    const body = RequestBody.of(request, config.bodyLimit);
    // undici takes an EventEmitter as a signal: far cheaper per request than an AbortController.
    const aborted = new ClientGone();
    response.once("close", () => {
      if (!response.writableFinished) aborted.abort();
    });
    const call = { method, url, headers };

    if (mode === "dark") {
      await this.split(route, call, body, response, aborted);
      return;
    }
    let capture: ResponseCapture | undefined;
    if (mode === "shadow") {
      if (!config.mirrorMethods.includes(method)) this.context.stats.mirrors.skippedMethod++;
      else {
        const slot = route.mirror.reserve();
        if (slot !== undefined) capture = this.mirrorAfterRead(route, slot, call, body, requestId);
      }
    }
    const forwarded = await this.forward(route, route.stable, "stable", call, body.stream(), response, aborted, capture);
    // Stable never read the body (it could not be reached): the mirror waiting for it gives its place back.
    body.abandon();
    if (forwarded.kind === "unreachable" || forwarded.kind === "failed") {
      capture?.cancel();
      this.badGateway(response, "stable", forwarded.reason);
    }
  }

  /** Serves from dark; on a connection error (or an open breaker) from stable, when the route allows. */
  private async split(
    route: ActiveRoute,
    call: { method: string; url: string; headers: Record<string, string | string[]> },
    body: RequestBody,
    response: ServerResponse,
    signal: ClientGone,
  ): Promise<void> {
    const { config } = route;
    // Without fallback the breaker is not consulted: every request goes to dark, whatever it does.
    const permit = config.fallback ? route.dark.breaker.tryAcquire() : "call";
    if (permit !== undefined) {
      const breaker = config.fallback ? { permit, of: route.dark.breaker } : undefined;
      const forwarded = await this.forward(route, route.dark, "dark", call, body.stream(), response, signal, undefined, true, breaker);
      if (forwarded.kind === "served" || forwarded.kind === "aborted") return;
      const replay = forwarded.kind === "unreachable" && config.fallback ? body.replay() : false;
      if (replay === false) {
        this.badGateway(response, "dark", forwarded.reason);
        return;
      }
      await this.fallback(route, call, replay, response, signal);
      return;
    }
    // Breaker open: dark is known to be down; do not make every request wait to find out.
    await this.fallback(route, call, body.stream(), response, signal);
  }

  private async fallback(
    route: ActiveRoute,
    call: { method: string; url: string; headers: Record<string, string | string[]> },
    body: Body,
    response: ServerResponse,
    signal: ClientGone,
  ): Promise<void> {
    this.context.stats.served.fallback++;
    this.context.metrics.fallbacks.inc({ route: route.config.name });
    const forwarded = await this.forward(route, route.stable, "stable", call, body, response, signal, undefined, false);
    if (forwarded.kind === "unreachable" || forwarded.kind === "failed") this.badGateway(response, "stable", forwarded.reason);
  }

  /** Starts a mirror once the request body is read in full (within the limit); returns the capture of stable's response. */
  private mirrorAfterRead(
    route: ActiveRoute,
    slot: MirrorSlot,
    call: { method: string; url: string; headers: Record<string, string | string[]> },
    body: RequestBody,
    requestId: string,
  ): ResponseCapture {
    const capture = new ResponseCapture(route.config.bodyLimit);
    const start = (complete: boolean) => {
      if (!complete) {
        capture.cancel();
        route.mirror.release(slot);
        if (body.overLimit) route.mirror.drop("body_limit");
        return;
      }
      route.mirror.send(slot, {
        method: call.method,
        url: call.url,
        headers: call.headers,
        body: body.bytes,
        requestId,
        baseline: capture,
      });
    };
    body.done.then(start).catch((error: unknown) => {
      capture.cancel();
      route.mirror.release(slot);
      this.context.warn("starting a mirror failed", error);
    });
    return capture;
  }

  /**
   * Sends the request to one backend and streams its response to the client. Resolves when the
   * response has ended: `served`; `unreachable` (nothing came back; nothing was sent to the
   * client); `failed` (another error before any response); `aborted` (the client went away).
   */
  private forward(
    route: ActiveRoute,
    backend: Backend,
    role: BackendRole,
    call: { method: string; url: string; headers: Record<string, string | string[]> },
    body: Body,
    response: ServerResponse,
    signal: ClientGone,
    capture: ResponseCapture | undefined,
    observe = true,
    /** Split mode with fallback: dark's breaker and the permit it gave (perhaps the half-open probe). */
    breaker?: { permit: BreakerPermit; of: CircuitBreaker },
  ): Promise<Forwarded> {
    const started = performance.now();
    const outcome: CallOutcome = {
      route: route.config.name,
      flag: route.config.flag,
      role,
      latencyMs: 0,
      status: undefined,
      side: observe ? (role === "dark" ? "dark" : "baseline") : undefined,
    };
    // Every ending reports to the breaker; a call the client gave up returns its permit.
    const finish = (failed: boolean) => {
      outcome.latencyMs = performance.now() - started;
      outcome.failed = failed;
      recordCall(this.context, outcome);
      if (failed) breaker?.of.failure(breaker.permit);
      else breaker?.of.success(breaker.permit);
    };
    // undici streams any async iterable as a body; its types only name Readable.
    const sent = body as Buffer | Readable | undefined;
    return backend.pool.request({ path: backend.path(call.url), method: call.method, headers: call.headers, body: sent, signal }).then(
      (upstream) =>
        new Promise((resolve) => {
          outcome.status = upstream.statusCode;
          if (response.destroyed) {
            upstream.body.destroy();
            capture?.cancel();
            breaker?.of.abandon(breaker.permit);
            resolve({ kind: "aborted" });
            return;
          }
          try {
            response.writeHead(upstream.statusCode, clientHeaders(upstream.headers));
          } catch (error) {
            // A header Node refuses to send (invalid characters): the response cannot be relayed.
            upstream.body.destroy();
            capture?.cancel();
            finish(true);
            resolve({ kind: "failed", reason: `unusable response headers: ${(error as Error).message}` });
            return;
          }
          if (role === "stable") this.context.stats.served.stable++;
          else this.context.stats.served.dark++;
          if (capture !== undefined) {
            capture.start(upstream.statusCode, upstream.headers);
            upstream.body.on("data", (chunk: Buffer) => capture.push(chunk));
          }
          // Piped by hand rather than with stream.pipeline, which builds and aborts an
          // AbortController (and a DOMException) per call: a tenth of the proxy's time under load.
          const source = upstream.body;
          let settled = false;
          // `backendFailed`: the backend broke off its response (reset, timeout), not the client.
          const done = (cut: boolean, backendFailed: boolean): void => {
            if (settled) return;
            settled = true;
            capture?.finish(cut);
            finish(backendFailed || upstream.statusCode >= 500);
            resolve({ kind: cut ? "aborted" : "served" });
          };
          source.once("error", () => {
            response.destroy();
            done(true, !signal.aborted);
          });
          response.once("finish", () => done(false, false));
          response.once("close", () => {
            if (response.writableFinished) return;
            source.destroy();
            done(true, false);
          });
          source.pipe(response);
        }),
      (error: unknown) => {
        if (signal.aborted) {
          capture?.cancel();
          breaker?.of.abandon(breaker.permit);
          response.destroy();
          return { kind: "aborted" };
        }
        finish(true);
        return { kind: isConnectionError(error) ? "unreachable" : "failed", reason: errorReason(error) };
      },
    );
  }

  /** Says which backend failed by its role: its address is the operator's business, not the client's. */
  private badGateway(response: ServerResponse, role: BackendRole, reason: string | undefined): void {
    this.context.stats.served.badGateway++;
    sendJson(response, 502, { code: "BAD_GATEWAY", message: `the ${role} backend could not be reached (${reason})` });
  }

  private evaluate(flag: string, id: string): unknown {
    try {
      // No default: a boolean flag (true → shadow) and a string one ("shadow", "dark") both work;
      // an error's value is undefined, which is stable.
      return this.flags.evaluate(flag, { id }).value;
    } catch (error) {
      this.context.warn(`evaluating ${flag} threw; serving stable`, error);
      return false;
    }
  }
}

/** Ids up to 128 visible ASCII characters are passed on as they are. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The request target as a path and query: origin-form as is, absolute-form (`http://host/p?q`,
 * RFC 9112 §3.2.2) reduced to its path; undefined for anything else (`*`, authority-form, garbage).
 */
function originForm(target: string): string | undefined {
  if (target.startsWith("/")) return target;
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    const parsed = new URL(target);
    return parsed.pathname + parsed.search;
  } catch {
    return undefined;
  }
}

function matches(route: RouteConfig, path: string, method: string): boolean {
  const { pathPrefix, methods } = route.match;
  if (methods !== undefined && !methods.includes(method)) return false;
  if (pathPrefix === "/" || path === pathPrefix) return true;
  return pathPrefix.endsWith("/") ? path.startsWith(pathPrefix) : path.startsWith(`${pathPrefix}/`);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** Aborts the backend call when the client goes away; undici listens for its `abort` event. */
class ClientGone extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
  }
}
