import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { DarkLaunchError } from "../errors.js";

/** What a route's calls cost against: evaluations (evaluate, check, OFREP) or ingest (telemetry, observations). */
export type RateClass = "evaluation" | "ingest";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The per-token rate limit this route counts against; none when absent. */
    rateClass?: RateClass;
  }
}

/** Request rates per token (and failed authentications per client address), per minute. */
export interface RateLimitOptions {
  /** Evaluation calls per token per minute (default 6 000: 100 a second). */
  evaluationsPerMinute?: number;
  /** Telemetry and observation posts per token per minute (default 6 000). */
  ingestPerMinute?: number;
  /** Failed authentications per client address per minute before it is refused (default 20). */
  authFailuresPerMinute?: number;
}

export const DEFAULT_RATE_LIMITS: Required<RateLimitOptions> = {
  evaluationsPerMinute: 6_000,
  ingestPerMinute: 6_000,
  authFailuresPerMinute: 20,
};

const MINUTE_MS = 60_000;

/** 429: too many calls; `details.retryAfterSeconds` repeats the `Retry-After` header. */
export class RateLimitedError extends DarkLaunchError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("RATE_LIMITED", 429, message, { retryAfterSeconds });
  }
}

/**
 * Registers `@fastify/rate-limit` for the routes that declare a `rateClass`, keyed by the calling
 * token. It runs as a preHandler, after authentication has named the token, so one token cannot
 * starve another and an unknown token never reaches it.
 */
export async function installRateLimits(app: FastifyInstance, options: Required<RateLimitOptions>): Promise<void> {
  // Before the plugin's own onRoute hook, which reads `config.rateLimit`.
  app.addHook("onRoute", (route) => {
    const rateClass = route.config?.rateClass;
    if (rateClass === undefined) return;
    const max = rateClass === "evaluation" ? options.evaluationsPerMinute : options.ingestPerMinute;
    route.config = { ...route.config, rateLimit: { max, timeWindow: MINUTE_MS, groupId: rateClass } } as typeof route.config;
  });
  await app.register(rateLimit, {
    global: false,
    hook: "preHandler",
    keyGenerator: (request: FastifyRequest) => request.caller?.tokenId ?? request.ip,
    errorResponseBuilder: (request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      const what = request.routeOptions.config?.rateClass === "ingest" ? "ingest" : "evaluation";
      return new RateLimitedError(`too many ${what} calls for this token: at most ${context.max} a minute; retry in ${seconds} s`, seconds);
    },
  });
}

/**
 * Counts failed authentications per client address in fixed one-minute windows; once an address
 * reaches the limit, it is refused (429, even with a good token) until its window ends, so tokens
 * cannot be guessed at speed. The table holds at most `MAX_ADDRESSES` addresses; past that, expired
 * windows are dropped, then the oldest.
 */
export class AuthFailureThrottle {
  private static readonly MAX_ADDRESSES = 10_000;
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws a 429 when the address has failed too often in its current window. */
  check(address: string): void {
    const window = this.current(address);
    if (window === undefined || window.failures < this.perMinute) return;
    const seconds = Math.max(1, Math.ceil((window.start + MINUTE_MS - this.now()) / 1000));
    throw new RateLimitedError(
      `too many failed authentications from ${address}: at most ${this.perMinute} a minute; retry in ${seconds} s`,
      seconds,
    );
  }

  fail(address: string): void {
    const window = this.current(address);
    if (window) {
      window.failures += 1;
      return;
    }
    if (this.windows.size >= AuthFailureThrottle.MAX_ADDRESSES) this.evict();
    this.windows.set(address, { start: this.now(), failures: 1 });
  }

  private current(address: string): { start: number; failures: number } | undefined {
    const window = this.windows.get(address);
    if (window === undefined) return undefined;
    if (window.start + MINUTE_MS <= this.now()) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private evict(): void {
    const now = this.now();
    for (const [address, window] of this.windows) if (window.start + MINUTE_MS <= now) this.windows.delete(address);
    // Insertion order is oldest first.
    while (this.windows.size >= AuthFailureThrottle.MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
  }
}
