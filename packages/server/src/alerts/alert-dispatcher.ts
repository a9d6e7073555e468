import type { DeliveryStatus, StoredDestination } from "./alert.js";
import type { AlertStore } from "./alert-store.js";
import { sendWebhook } from "./webhook-sender.js";
import { DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from "./webhook-signature.js";

/** How hard a delivery is tried. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 6). */
  maxAttempts: number;
  /** The backoff ceiling of the first retry; it doubles per retry (default 1 000 ms). */
  baseDelayMs: number;
  /** No retry waits longer than this (default 300 000 ms). */
  maxDelayMs: number;
  /** One attempt, connect to last byte, is given up after this long (default 10 000 ms). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 300_000, timeoutMs: 10_000 };

export interface DispatcherOptions {
  retry?: Partial<RetryPolicy> | undefined;
  /** Let webhooks reach private, loopback and link-local addresses (default false). */
  allowPrivate?: boolean | undefined;
  /**
   * Waits `ms` before a retry, resolving early when `signal` aborts (the server closing). Tests pass
   * one that records the delay and resolves at once, so no test sleeps.
   */
  wait?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** Uniform in [0, 1): the jitter (default Math.random). */
  random?: (() => number) | undefined;
  /** Epoch ms (default Date.now): the signature's timestamp and the log's times. */
  now?: (() => number) | undefined;
  /** Called after each attempt is logged (tests wait on it; metrics may count it). */
  onAttempt?: ((deliveryId: string, attempt: number, status: DeliveryStatus) => void) | undefined;
  /** A failure of the store while logging an attempt (the delivery goes on). */
  onError?: ((error: unknown) => void) | undefined;
}

/** A delivery handed to the dispatcher: its destination and the exact body to sign and send. */
export interface DeliveryJob {
  deliveryId: string;
  destination: StoredDestination;
  body: string;
  /** At most this many attempts for this job (a test alert is tried once). */
  maxAttempts?: number;
}

function defaultWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Sends deliveries off the request path: each is attempted until it is answered 2xx, answered
 * something a retry will not change (4xx other than 408/429, a redirect, a refused address), or
 * out of attempts. Retries wait with exponential backoff and full jitter (a random wait in
 * [0, min(max, base·2^(n−1))]), so receivers coming back up are not hit by every sender at once.
 *
 * The retry queue lives in memory; every attempt is logged in the store as it happens. `close()`
 * drains: jobs waiting for a retry make one last attempt at once, in-flight attempts finish (each
 * bounded by the timeout), and whatever still failed is logged as failed.
 */
export class AlertDispatcher {
  private readonly retry: RetryPolicy;
  private readonly active = new Map<string, Promise<DeliveryStatus>>();
  private readonly closing = new AbortController();
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly store: AlertStore,
    private readonly options: DispatcherOptions = {},
  ) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.wait = options.wait ?? defaultWait;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /** The wait before retry number `retry` (1 for the first retry). */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * ceiling);
  }

  /** Starts sending; returns at once. Settles to the delivery's final status. */
  enqueue(job: DeliveryJob): Promise<DeliveryStatus> {
    const run = this.run(job).finally(() => this.active.delete(job.deliveryId));
    this.active.set(job.deliveryId, run);
    return run;
  }

  /** The final status of a delivery being sent, or undefined when none is in progress. */
  settled(deliveryId: string): Promise<DeliveryStatus> | undefined {
    return this.active.get(deliveryId);
  }

  /** Drains (see the class comment); later deliveries are attempted once. */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.active.values()]);
  }

  private async destinationGone(id: string): Promise<boolean | undefined> {
    try {
      return (await this.store.getDestination(id)) === undefined;
    } catch (error) {
      this.options.onError?.(error);
      return undefined;
    }
  }

  private async run(job: DeliveryJob): Promise<DeliveryStatus> {
    const maxAttempts = Math.max(1, Math.min(job.maxAttempts ?? this.retry.maxAttempts, this.retry.maxAttempts));
    for (let attempt = 1; ; attempt++) {
      const startedMs = this.now();
      const outcome = await sendWebhook(
        {
          url: job.destination.url,
          body: job.body,
          headers: {
            [SIGNATURE_HEADER]: signatureHeader(job.destination.secret, job.body, Math.floor(startedMs / 1000)),
            [DELIVERY_HEADER]: job.deliveryId,
            "x-darklaunch-attempt": String(attempt),
          },
        },
        { timeoutMs: this.retry.timeoutMs, allowPrivate: this.options.allowPrivate ?? false },
      );
      const closing = this.closing.signal.aborted;
      const last = outcome.ok || !outcome.retry || attempt >= maxAttempts || closing;
      const status: DeliveryStatus = outcome.ok ? "delivered" : last ? "failed" : "pending";
      const why =
        outcome.error !== null && !outcome.ok && outcome.retry && attempt < maxAttempts && closing
          ? `${outcome.error}; not retried: the server closed`
          : outcome.error;
      try {
        await this.store.recordAttempt(
          job.deliveryId,
          {
            attempt,
            startedAt: new Date(startedMs).toISOString(),
            finishedAt: new Date(this.now()).toISOString(),
            statusCode: outcome.statusCode,
            error: why,
          },
          status,
        );
      } catch (error) {
        // The destination may have been removed meanwhile; the delivery itself is not the store's.
        this.options.onError?.(error);
      }
      this.options.onAttempt?.(job.deliveryId, attempt, status);
      if (last) return status;
      await this.wait(this.backoffMs(attempt), this.closing.signal);
      // A destination removed meanwhile (here or on another replica) is not sent to again.
      if ((await this.destinationGone(job.destination.id)) === true) return "failed";
    }
  }
}
