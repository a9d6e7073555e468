import {
  type CompareOptions,
  compileComparator,
  compileRedactor,
  type Problem,
  type RedactionOptions,
  ValidationError,
} from "@darklaunch/core";

/** Where a route reads the subject a flag is evaluated for: a header, a cookie or a query parameter. */
export type SubjectSource = `header:${string}` | `cookie:${string}` | `query:${string}`;

/** When a route's backends are treated as broken (see `CircuitBreaker`). */
export interface BreakerConfig {
  /** Consecutive failures that open the breaker (default 5). */
  failures: number;
  /** Error rate over the last `window` calls that opens it (default 0.5). */
  errorRate: number;
  /** Calls the error rate is measured over; at least 20 (default 20). */
  window: number;
  /** How long it stays open before a single half-open probe (default 10 000 ms). */
  openMs: number;
}

/** One route: which requests it takes, the flag that decides their path, and the backends. */
export interface RouteConfig {
  /** The label in observations and metrics (default `match.pathPrefix`): never the raw URL. */
  name: string;
  match: { pathPrefix: string; methods?: string[] };
  flag: string;
  stable: string;
  dark: string;
  /** A second stable instance: what differs between it and stable is noise (Diffy's rule). */
  secondary?: string;
  /** Where the subject is read; without one a request gets a random position. */
  subject?: SubjectSource;
  /** Methods that may be mirrored (default GET, HEAD, OPTIONS: docs/architecture.md#dark-paths-and-observations). */
  mirrorMethods: string[];
  /** Mirrors in flight at once; excess is dropped and counted, never queued (default 100). */
  maxInflight: number;
  /** Mirrors per second (token bucket); undefined: unlimited. */
  mirrorRate?: number;
  /** Per mirrored request (default 2 000 ms). */
  timeoutMs: number;
  /** Largest body mirrored or compared, in bytes (default 1 MiB). */
  bodyLimit: number;
  compare: CompareOptions;
  redaction: RedactionOptions;
  breaker: BreakerConfig;
  /** Split mode: serve from stable when dark cannot be reached (default true). */
  fallback: boolean;
}

/** A complete, validated proxy configuration (`parseProxyConfig` fills the defaults). */
export interface ProxyConfig {
  /** `host:port` the proxy listens on (default `127.0.0.1:8080`; port 0 picks a free one). */
  listen: string;
  /** `host:port` of `/metrics` and `/healthz` (default `127.0.0.1:9464`). */
  adminListen: string;
  /** The darklaunch server the SDK client syncs flags from and reports observations to. */
  controlPlane?: { url: string; token: string };
  /** How often observations are flushed to the server (the SDK's default when absent). */
  flushIntervalMs?: number;
  /**
   * The length of an observation window in ms, for a server run with short minutes (`serve
   * --minute-ms`, tests and demos). Absent: the server's, learned from its answers (60 000 until then).
   */
  minuteMs?: number;
  routes: RouteConfig[];
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** What a config file or caller may give: every field with a default may be left out. */
export type ProxyConfigInput = Omit<DeepPartial<ProxyConfig>, "routes"> & {
  routes: (Omit<DeepPartial<RouteConfig>, "match" | "compare" | "redaction"> & {
    match: { pathPrefix: string; methods?: string[] };
    flag: string;
    stable: string;
    dark: string;
    compare?: CompareOptions;
    redaction?: RedactionOptions;
  })[];
};

export const DEFAULT_LISTEN = "127.0.0.1:8080";
export const DEFAULT_ADMIN_LISTEN = "127.0.0.1:9464";
export const DEFAULT_MIRROR_METHODS = ["GET", "HEAD", "OPTIONS"];
export const DEFAULT_BREAKER: BreakerConfig = { failures: 5, errorRate: 0.5, window: 20, openMs: 10_000 };

const ROUTE_KEYS = new Set([
  "name",
  "match",
  "flag",
  "stable",
  "dark",
  "secondary",
  "subject",
  "mirrorMethods",
  "maxInflight",
  "mirrorRate",
  "timeoutMs",
  "bodyLimit",
  "compare",
  "redaction",
  "breaker",
  "fallback",
]);
const TOP_KEYS = new Set(["listen", "adminListen", "controlPlane", "flushIntervalMs", "minuteMs", "routes"]);
const METHOD = /^[A-Z]+$/;
// Timers take at most 2^31 - 1 ms; a larger value fires at once (Node's TimeoutOverflowWarning).
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Validates a proxy configuration (from a JSON or YAML file, or built by the CLI) and fills in the
 * defaults. Throws a `ValidationError` listing every problem with its path.
 *
 * @example
 * parseProxyConfig({ routes: [{ match: { pathPrefix: "/" }, flag: "checkout-v2",
 *   stable: "http://127.0.0.1:3000", dark: "http://127.0.0.1:3001" }] });
 * // routes[0].mirrorMethods → ["GET", "HEAD", "OPTIONS"], maxInflight → 100 …
 */
export function parseProxyConfig(input: unknown): ProxyConfig {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!isRecord(input)) throw new ValidationError("the proxy configuration", [{ path: "", message: "must be an object" }]);
  for (const key of Object.keys(input)) if (!TOP_KEYS.has(key)) add(key, "unknown field");

  const listen = address(input.listen, "listen", DEFAULT_LISTEN, add);
  const adminListen = address(input.adminListen, "adminListen", DEFAULT_ADMIN_LISTEN, add);
  let controlPlane: ProxyConfig["controlPlane"];
  if (input.controlPlane !== undefined) {
    const cp = input.controlPlane;
    if (!isRecord(cp)) add("controlPlane", "must be an object { url, token }");
    else {
      if (!isHttpUrl(cp.url)) add("controlPlane.url", "must be an http(s) URL");
      if (typeof cp.token !== "string" || cp.token === "") add("controlPlane.token", "must be a non-empty string");
      controlPlane = { url: String(cp.url), token: String(cp.token) };
    }
  }
  const flushIntervalMs = optionalInt(input.flushIntervalMs, "flushIntervalMs", 1, add, MAX_TIMER_MS);
  const minuteMs = optionalInt(input.minuteMs, "minuteMs", 1, add, 60_000);

  const routes: RouteConfig[] = [];
  if (!Array.isArray(input.routes) || input.routes.length === 0) add("routes", "must be a non-empty array of routes");
  else for (const [i, raw] of input.routes.entries()) routes.push(parseRoute(raw, `routes[${i}]`, add));

  if (problems.length > 0) throw new ValidationError("the proxy configuration", problems);
  const config: ProxyConfig = { listen, adminListen, routes };
  if (controlPlane !== undefined) config.controlPlane = controlPlane;
  if (flushIntervalMs !== undefined) config.flushIntervalMs = flushIntervalMs;
  if (minuteMs !== undefined) config.minuteMs = minuteMs;
  return config;
}

function parseRoute(raw: unknown, at: string, add: (path: string, message: string) => void): RouteConfig {
  const route = isRecord(raw) ? raw : {};
  if (!isRecord(raw)) add(at, "must be an object");
  for (const key of Object.keys(route)) if (!ROUTE_KEYS.has(key)) add(`${at}.${key}`, "unknown field");

  const match = isRecord(route.match) ? route.match : {};
  if (!isRecord(route.match)) add(`${at}.match`, 'must be an object such as { "pathPrefix": "/" }');
  const pathPrefix = typeof match.pathPrefix === "string" ? match.pathPrefix : "/";
  if (typeof match.pathPrefix !== "string" || !match.pathPrefix.startsWith("/"))
    add(`${at}.match.pathPrefix`, 'must be a path starting with "/"');
  const methods = match.methods === undefined ? undefined : methodList(match.methods, `${at}.match.methods`, add);

  if (typeof route.flag !== "string" || route.flag === "") add(`${at}.flag`, "must be a flag key");
  for (const field of ["stable", "dark"] as const)
    if (!isHttpUrl(route[field])) add(`${at}.${field}`, `must be an http(s) URL without query or credentials, got ${shown(route[field])}`);
  if (route.secondary !== undefined && !isHttpUrl(route.secondary))
    add(`${at}.secondary`, `must be an http(s) URL without query or credentials, got ${shown(route.secondary)}`);
  if (route.name !== undefined && (typeof route.name !== "string" || route.name === "")) add(`${at}.name`, "must be a non-empty string");
  if (route.subject !== undefined && !isSubject(route.subject))
    add(`${at}.subject`, `must be header:NAME, cookie:NAME or query:NAME (e.g. header:x-user-id), got ${shown(route.subject)}`);

  const mirrorMethods =
    route.mirrorMethods === undefined ? [...DEFAULT_MIRROR_METHODS] : methodList(route.mirrorMethods, `${at}.mirrorMethods`, add);
  const maxInflight = optionalInt(route.maxInflight, `${at}.maxInflight`, 1, add) ?? 100;
  const timeoutMs = optionalInt(route.timeoutMs, `${at}.timeoutMs`, 1, add, MAX_TIMER_MS) ?? 2_000;
  const bodyLimit = optionalInt(route.bodyLimit, `${at}.bodyLimit`, 0, add) ?? 1024 * 1024;
  let mirrorRate: number | undefined;
  if (route.mirrorRate !== undefined) {
    if (typeof route.mirrorRate !== "number" || !Number.isFinite(route.mirrorRate) || route.mirrorRate <= 0)
      add(`${at}.mirrorRate`, `must be a positive number of mirrors per second, got ${shown(route.mirrorRate)}`);
    else mirrorRate = route.mirrorRate;
  }
  if (route.fallback !== undefined && typeof route.fallback !== "boolean") add(`${at}.fallback`, "must be true or false");

  const breaker = { ...DEFAULT_BREAKER };
  if (route.breaker !== undefined) {
    if (!isRecord(route.breaker)) add(`${at}.breaker`, "must be an object { failures, errorRate, window, openMs }");
    else {
      for (const key of Object.keys(route.breaker))
        if (!(key in DEFAULT_BREAKER)) add(`${at}.breaker.${key}`, "unknown field (failures, errorRate, window, openMs)");
      breaker.failures = optionalInt(route.breaker.failures, `${at}.breaker.failures`, 1, add) ?? breaker.failures;
      breaker.window = optionalInt(route.breaker.window, `${at}.breaker.window`, 20, add) ?? breaker.window;
      breaker.openMs = optionalInt(route.breaker.openMs, `${at}.breaker.openMs`, 1, add) ?? breaker.openMs;
      const rate = route.breaker.errorRate;
      if (rate !== undefined) {
        if (typeof rate !== "number" || !(rate > 0 && rate <= 1))
          add(`${at}.breaker.errorRate`, `must be a number above 0 and at most 1, got ${shown(rate)}`);
        else breaker.errorRate = rate;
      }
    }
  }

  const compare = compareOptions(route.compare, `${at}.compare`, add);
  const redaction = redactionOptions(route.redaction, `${at}.redaction`, add);

  const out: RouteConfig = {
    name: typeof route.name === "string" && route.name !== "" ? route.name : pathPrefix,
    match: methods === undefined ? { pathPrefix } : { pathPrefix, methods },
    flag: String(route.flag),
    stable: trimSlash(String(route.stable)),
    dark: trimSlash(String(route.dark)),
    mirrorMethods,
    maxInflight,
    timeoutMs,
    bodyLimit,
    compare,
    redaction,
    breaker,
    fallback: route.fallback !== false,
  };
  if (typeof route.secondary === "string") out.secondary = trimSlash(route.secondary);
  if (isSubject(route.subject)) out.subject = route.subject;
  if (mirrorRate !== undefined) out.mirrorRate = mirrorRate;
  return out;
}

function compareOptions(raw: unknown, at: string, add: (path: string, message: string) => void): CompareOptions {
  if (raw === undefined) return {};
  coreProblems(() => compileComparator(raw as CompareOptions), at, add);
  return raw as CompareOptions;
}

function redactionOptions(raw: unknown, at: string, add: (path: string, message: string) => void): RedactionOptions {
  if (raw === undefined) return {};
  coreProblems(() => compileRedactor(raw as RedactionOptions), at, add);
  return raw as RedactionOptions;
}

/** The core validates comparison and redaction options; its problems are reported under `at`. */
function coreProblems(compile: () => unknown, at: string, add: (path: string, message: string) => void): void {
  try {
    compile();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const problem of error.problems) add(problem.path === "" ? at : `${at}.${problem.path.replace(/^\./, "")}`, problem.message);
  }
}

/** `host:port` → its parts (IPv6 hosts in brackets: `[::1]:8080`). */
export function parseAddress(text: string): { host: string; port: number } | undefined {
  const at = text.lastIndexOf(":");
  if (at <= 0) return undefined;
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const portText = text.slice(at + 1);
  const port = Number(portText);
  if (host === "" || !/^\d{1,5}$/.test(portText) || port > 65535) return undefined;
  return { host, port };
}

function address(raw: unknown, at: string, fallback: string, add: (path: string, message: string) => void): string {
  if (raw === undefined) return fallback;
  if (typeof raw !== "string" || parseAddress(raw) === undefined) {
    add(at, `must be host:port, e.g. 127.0.0.1:8080, got ${shown(raw)}`);
    return fallback;
  }
  return raw;
}

function methodList(raw: unknown, at: string, add: (path: string, message: string) => void): string[] {
  const list = typeof raw === "string" ? raw.split(",").map((m) => m.trim()) : raw;
  if (!isStringArray(list) || list.length === 0 || !list.every((m) => METHOD.test(m.toUpperCase()))) {
    add(at, `must be a list of HTTP methods, e.g. GET,HEAD, got ${shown(raw)}`);
    return [];
  }
  return [...new Set(list.map((m) => m.toUpperCase()))];
}

function optionalInt(
  raw: unknown,
  at: string,
  min: number,
  add: (path: string, message: string) => void,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < min || raw > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    add(at, `must be a whole number ${range}, got ${shown(raw)}`);
    return undefined;
  }
  return raw;
}

/** A bad value as a message shows it: JSON, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isSubject(value: unknown): value is SubjectSource {
  return typeof value === "string" && /^(header|cookie|query):[^\s:]+$/.test(value);
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    // Credentials in the URL would be dropped by the pool and shown in metrics and 502 messages.
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      url.search === "" &&
      url.hash === "" &&
      url.username === "" &&
      url.password === ""
    );
  } catch {
    return false;
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
