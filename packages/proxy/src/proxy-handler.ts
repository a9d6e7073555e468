import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { Backend } from "./backend.js";
import { hasDotSegment } from "./dot-segments.js";
import { backendHeaders, type FlatHeaders } from "./forward-headers.js";
import type { Mirror, MirrorSlot } from "./mirror.js";
import type { RouteConfig } from "./proxy-config.js";
import type { CallOutcome, ProxyContext } from "./proxy-context.js";
import type { BackendRole } from "./proxy-metrics.js";
import { readSubject } from "./read-subject.js";
import { type BreakerHold, type Forwarded, Relay } from "./relay.js";
import { RequestBody } from "./request-body.js";
import { anonymousSubject, newRequestId } from "./request-ids.js";
import { ResponseCapture } from "./response-capture.js";

/** What the proxy needs of a flag client: the SDK's `DarkLaunchClient` fits. */
export interface FlagEvaluator {
  evaluate(flagKey: string, context: Readonly<Record<string, unknown>>): { value: unknown };
  /** The value alone (the SDK's allocation-free path); used when present, with `evaluate`'s semantics for an undefined default. */
  // `never`: the SDK types its default as a variant value; the proxy passes undefined, as `evaluate` has it.
  value?(flagKey: string, context: Readonly<Record<string, unknown>>, defaultValue: never): unknown;
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

/** What goes to every backend for one request. */
interface Call {
  method: string;
  url: string;
  headers: FlatHeaders;
}

/**
 * The request path: route, evaluate, serve (stable or dark), and hand a copy to the mirror. The
 * stable response goes to the client as it comes (small ones written once, large ones streamed);
 * nothing the mirror does can touch it. The usual path is plain callbacks: no promise per request.
 */
export class ProxyHandler {
  constructor(
    private readonly routes: readonly ActiveRoute[],
    private readonly flags: FlagEvaluator,
    private readonly context: ProxyContext,
  ) {}

  handle(request: IncomingMessage, response: ServerResponse): void {
    try {
      this.serve(request, response);
    } catch (error) {
      this.failed(response, error);
    }
  }

  private failed(response: ServerResponse, error: unknown): void {
    this.context.warn("a request failed unexpectedly", error);
    if (!response.headersSent) sendJson(response, 500, { code: "PROXY_ERROR", message: "the proxy failed on this request" });
    else response.destroy();
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
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
    const route = this.route(path, method);
    if (route === undefined) {
      this.context.stats.served.notFound++;
      request.resume();
      sendJson(response, 404, { code: "NO_ROUTE", message: `no proxy route matches ${method} ${path}` });
      return;
    }
    const config = route.config;
    const idHeader = request.headers["x-request-id"];
    // A usable id is passed on; a missing, huge or odd one is replaced, so backends and samples get a sane one.
    const requestId = typeof idHeader === "string" && REQUEST_ID.test(idHeader) ? idHeader : newRequestId();
    const subject = readSubject(config.subject, request.headers, q === -1 ? "" : url.slice(q + 1));
    // No subject: a position of its own per request, so the flag's percentage still holds for traffic.
    const mode = modeOf(this.evaluate(config.flag, subject ?? anonymousSubject()));
    const call: Call = { method, url, headers: backendHeaders(request.headers, requestId, request.socket.remoteAddress) };
    const body = RequestBody.of(request, config.bodyLimit);

    if (mode === "dark") {
      this.split(route, call, body, response).catch((error: unknown) => this.failed(response, error));
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
    this.forward(route, route.stable, "stable", call, body.stream(), response, capture, true, undefined, (forwarded) => {
      // Stable never read the body (it could not be reached): the mirror waiting for it gives its place back.
      body.abandon();
      if (forwarded.kind === "unreachable" || forwarded.kind === "failed") {
        capture?.cancel();
        this.badGateway(response, "stable", forwarded.reason);
      }
    });
  }

  /** First matching route; the one-route case (the CLI's) without a closure per request. */
  private route(path: string, method: string): ActiveRoute | undefined {
    for (const route of this.routes) if (matches(route.config, path, method)) return route;
    return undefined;
  }

  /** Serves from dark; on a connection error (or an open breaker) from stable, when the route allows. */
  private async split(route: ActiveRoute, call: Call, body: RequestBody, response: ServerResponse): Promise<void> {
    const { config } = route;
    // Without fallback the breaker is not consulted: every request goes to dark, whatever it does.
    const permit = config.fallback ? route.dark.breaker.tryAcquire() : "call";
    if (permit !== undefined) {
      const breaker = config.fallback ? { permit, of: route.dark.breaker } : undefined;
      const forwarded = await this.forwarded(route, route.dark, "dark", call, body.stream(), response, true, breaker);
      if (forwarded.kind === "served" || forwarded.kind === "aborted") return;
      const replay = forwarded.kind === "unreachable" && config.fallback ? body.replay() : false;
      if (replay === false) {
        this.badGateway(response, "dark", forwarded.reason);
        return;
      }
      await this.fallback(route, call, replay, response);
      return;
    }
    // Breaker open: dark is known to be down; do not make every request wait to find out.
    await this.fallback(route, call, body.stream(), response);
  }

  private async fallback(route: ActiveRoute, call: Call, body: Body, response: ServerResponse): Promise<void> {
    if (response.destroyed) return; // the client left while dark failed
    this.context.stats.served.fallback++;
    this.context.metrics.fallbacks.inc({ route: route.config.name });
    const forwarded = await this.forwarded(route, route.stable, "stable", call, body, response, false, undefined);
    if (forwarded.kind === "unreachable" || forwarded.kind === "failed") this.badGateway(response, "stable", forwarded.reason);
  }

  /** Starts a mirror once the request body is read in full (within the limit); returns the capture of stable's response. */
  private mirrorAfterRead(route: ActiveRoute, slot: MirrorSlot, call: Call, body: RequestBody, requestId: string): ResponseCapture {
    const capture = new ResponseCapture(route.config.bodyLimit);
    const job = { method: call.method, url: call.url, headers: call.headers, body: undefined, requestId, baseline: capture };
    // A request without a body is complete now: the mirror starts at once, with no promise in between.
    if (!body.present) {
      route.mirror.send(slot, job);
      return capture;
    }
    body.done
      .then((complete) => {
        if (!complete) {
          capture.cancel();
          // Over the limit: the mirror's own bound, a lost mirror. Never read (stable unreachable):
          // the same failure without a body is a pair with stable's error, so not lost either.
          route.mirror.release(slot, body.overLimit);
          if (body.overLimit) route.mirror.drop("body_limit");
          return;
        }
        route.mirror.send(slot, { ...job, body: body.bytes });
      })
      .catch((error: unknown) => {
        capture.cancel();
        route.mirror.release(slot, true);
        this.context.warn("starting a mirror failed", error);
      });
    return capture;
  }

  private forwarded(
    route: ActiveRoute,
    backend: Backend,
    role: BackendRole,
    call: Call,
    body: Body,
    response: ServerResponse,
    observe: boolean,
    breaker: BreakerHold | undefined,
  ): Promise<Forwarded> {
    return new Promise((resolve) => this.forward(route, backend, role, call, body, response, undefined, observe, breaker, resolve));
  }

  /** Sends the request to one backend and relays its response to the client; `done` says how it ended. */
  private forward(
    route: ActiveRoute,
    backend: Backend,
    role: BackendRole,
    call: Call,
    body: Body,
    response: ServerResponse,
    capture: ResponseCapture | undefined,
    observe: boolean,
    breaker: BreakerHold | undefined,
    done: (forwarded: Forwarded) => void,
  ): void {
    const outcome: CallOutcome = {
      route: route.config.name,
      flag: route.config.flag,
      role,
      latencyMs: 0,
      status: undefined,
      side: observe ? (role === "dark" ? "dark" : "baseline") : undefined,
    };
    const relay = new Relay(this.context, response, outcome, capture, breaker, done);
    // undici streams any async iterable as a body; its types only name Readable.
    const sent = body as Buffer | Readable | undefined;
    backend.pool.dispatch(
      { path: backend.path(call.url), method: call.method as Dispatcher.HttpMethod, headers: call.headers, body: sent },
      relay,
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
      const flags = this.flags;
      return flags.value !== undefined ? flags.value(flag, { id }, undefined as never) : flags.evaluate(flag, { id }).value;
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
