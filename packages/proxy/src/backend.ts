import { Pool } from "undici";
import { CircuitBreaker } from "./circuit-breaker.js";
import type { BreakerConfig } from "./proxy-config.js";

/**
 * One backend (stable, dark or secondary) as the proxy holds it: a keep-alive connection pool and
 * a circuit breaker, shared by every route that names the same URL.
 */
export class Backend {
  readonly pool: Pool;
  readonly breaker: CircuitBreaker;
  private readonly basePath: string;

  constructor(
    readonly url: string,
    breaker: BreakerConfig,
    onBreakerChange: () => void,
  ) {
    const parsed = new URL(url);
    this.basePath = parsed.pathname.replace(/\/+$/, "");
    this.pool = new Pool(parsed.origin, { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
    this.breaker = new CircuitBreaker(breaker, Date.now, onBreakerChange);
  }

  /** The path to request on this backend for a client's `/path?query`. */
  path(requestPath: string): string {
    return this.basePath + requestPath;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/** True for an error that means the backend could not be reached (nothing was served). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && CONNECTION_ERRORS.has(code);
}

/** A short reason for a failed backend call: `ECONNREFUSED`, `timeout`, or the message. */
export function errorReason(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  if (e?.name === "TimeoutError") return "timeout";
  if (typeof e?.code === "string") return e.code;
  return typeof e?.message === "string" ? e.message : String(error);
}
