import { decodeSdkEvent, formatProblem, type SdkDelete, type SdkPatchMessage, type SdkPutMessage } from "@darklaunch/core";
import { Backoff } from "./backoff.js";
import { SdkError } from "./errors.js";
import { type SseEvent, SseParser } from "./sse-parser.js";

export interface SyncOptions {
  url: string;
  token: string;
  fetch: typeof fetch;
  /** Polling period of the snapshot endpoint while the stream cannot be held (default 30 000). */
  pollIntervalMs: number;
  /** Silence, in ms, after which the stream counts as dead (default 45 000: three heartbeats). */
  heartbeatTimeoutMs: number;
  /** Reconnect backoff: first ceiling and cap in ms (defaults 1 000 and 30 000). */
  backoffBaseMs: number;
  backoffCapMs: number;
  userAgent: string;
}

/** What the sync tells the client. Each handler is called synchronously, never concurrently. */
export interface SyncHandlers {
  /** A whole snapshot (a stream `put` or a polled one); its items are still to be checked. */
  snapshot(payload: SdkPutMessage, source: "stream" | "poll"): void;
  patch(data: SdkPatchMessage): void;
  remove(data: SdkDelete): void;
  /** The stream is open (`put` received) or a poll answered: the client is current. */
  live(via: "stream" | "poll"): void;
  /** The connection was lost or could not be made; the client keeps its snapshot. */
  lost(error: SdkError, via: "stream" | "poll"): void;
  /** The token was refused: the sync has stopped for good. */
  fatal(error: SdkError): void;
  /** A message that is not JSON or does not match the protocol arrived and was ignored; the sync goes on. */
  malformed(error: SdkError): void;
}

type StreamOutcome = { held: boolean; error: SdkError };

const KNOWN_EVENTS = new Set(["put", "patch", "delete"]);

/**
 * Keeps one client current: a single SSE connection (never two), reconnected with backoff and full
 * jitter; while the stream is down the snapshot endpoint is polled with its ETag; a 401/403 stops
 * everything. One loop owns the connection, so no path can open a second one.
 */
export class Sync {
  private closed = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private etag: string | undefined;
  private lastPoll = 0;
  private readonly backoff: Backoff;
  private loop: Promise<void> | undefined;
  /** Requests made, for tests and diagnostics. */
  requests = 0;

  constructor(
    private readonly options: SyncOptions,
    private readonly handlers: SyncHandlers,
  ) {
    this.backoff = new Backoff(options.backoffBaseMs, options.backoffCapMs);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const outcome = await this.streamOnce();
      if (this.closed) return;
      if (outcome.error.code === "UNAUTHORIZED") {
        this.closed = true;
        this.handlers.fatal(outcome.error);
        return;
      }
      if (outcome.held) this.backoff.reset();
      this.handlers.lost(outcome.error, "stream");
      // The stream is down: poll the snapshot (at once the first time, then every pollIntervalMs
      // across reconnect attempts) until the backoff says it is time to try the stream again.
      const retryAt = Date.now() + this.backoff.next();
      while (!this.closed) {
        const now = Date.now();
        if (now >= retryAt) break;
        if (now - this.lastPoll >= this.options.pollIntervalMs) {
          this.lastPoll = now;
          const error = await this.poll();
          if (error?.code === "UNAUTHORIZED") {
            this.closed = true;
            this.handlers.fatal(error);
            return;
          }
          if (error) this.handlers.lost(error, "poll");
          continue;
        }
        await this.sleep(Math.min(retryAt, this.lastPoll + this.options.pollIntervalMs) - now);
      }
    }
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, "user-agent": this.options.userAgent, ...extra };
  }

  private async streamOnce(): Promise<StreamOutcome> {
    const controller = new AbortController();
    this.abort = controller;
    let held = false;
    let silent: SdkError | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        silent = new SdkError("UNREACHABLE", `the stream was silent for ${this.options.heartbeatTimeoutMs} ms (missed heartbeats)`);
        controller.abort();
      }, this.options.heartbeatTimeoutMs);
    };
    arm();
    try {
      this.requests++;
      const response = await this.options.fetch(`${this.options.url}/api/v1/sdk/stream`, {
        headers: this.headers({ accept: "text/event-stream" }),
        signal: controller.signal,
      });
      const refused = responseError(response, "stream");
      if (refused) {
        await response.body?.cancel().catch(() => {});
        return { held, error: refused };
      }
      if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream") || !response.body) {
        await response.body?.cancel().catch(() => {});
        return { held, error: new SdkError("BAD_RESPONSE", "the stream endpoint did not answer with text/event-stream", response.status) };
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        arm();
        for (const event of parser.feed(decoder.decode(chunk, { stream: true }))) {
          if (this.dispatch(event)) held = true;
        }
        if (this.closed) break;
      }
      return { held, error: new SdkError("UNREACHABLE", "the server closed the stream") };
    } catch (error) {
      if (silent) return { held, error: silent };
      return { held, error: networkError(error, this.options.url) };
    } finally {
      clearTimeout(watchdog);
      controller.abort();
      if (this.abort === controller) this.abort = undefined;
    }
  }

  /** Hands one event to the client; true for a `put`, after which the stream counts as held. */
  private dispatch(event: SseEvent): boolean {
    // Heartbeats only prove the stream alive; events a newer server may add are skipped.
    if (!KNOWN_EVENTS.has(event.event)) return false;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      this.handlers.malformed(new SdkError("MALFORMED_UPDATE", `a "${event.event}" event is not JSON; ignored, the snapshot stays`));
      return false;
    }
    const decoded = decodeSdkEvent(event.event, data);
    if (decoded === undefined) return false;
    if (!decoded.ok) {
      const problems = decoded.problems.map(formatProblem).join("; ");
      this.handlers.malformed(
        new SdkError("MALFORMED_UPDATE", `a "${event.event}" event does not match the protocol (${problems}); ignored, the snapshot stays`),
      );
      return false;
    }
    const message = decoded.value;
    if (message.event === "put") {
      this.handlers.snapshot(message.data, "stream");
      this.handlers.live("stream");
      return true;
    }
    if (message.event === "patch") this.handlers.patch(message.data);
    else if (message.event === "delete") this.handlers.remove(message.data);
    return false;
  }

  /** One ETag poll of the snapshot endpoint; returns the error, if any. */
  private async poll(): Promise<SdkError | undefined> {
    const controller = new AbortController();
    this.abort = controller;
    const timer = setTimeout(() => controller.abort(), this.options.heartbeatTimeoutMs);
    try {
      this.requests++;
      const response = await this.options.fetch(`${this.options.url}/api/v1/sdk/snapshot`, {
        headers: this.headers(this.etag ? { "if-none-match": this.etag } : {}),
        signal: controller.signal,
      });
      if (response.status === 304) {
        await response.body?.cancel().catch(() => {});
        this.handlers.live("poll");
        return undefined;
      }
      const refused = responseError(response, "snapshot");
      if (refused) {
        await response.body?.cancel().catch(() => {});
        return refused;
      }
      const text = await response.text();
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        return new SdkError("BAD_RESPONSE", "the snapshot endpoint answered with something that is not JSON", response.status);
      }
      const decoded = decodeSdkEvent("put", data);
      if (!decoded?.ok || decoded.value.event !== "put") {
        const problems = decoded?.ok === false ? decoded.problems.map(formatProblem).join("; ") : "";
        this.handlers.malformed(
          new SdkError("MALFORMED_UPDATE", `the snapshot endpoint's answer does not match the protocol (${problems}); ignored`),
        );
        return undefined;
      }
      this.handlers.snapshot(decoded.value.data, "poll");
      this.etag = response.headers.get("etag") ?? undefined;
      this.handlers.live("poll");
      return undefined;
    } catch (error) {
      return networkError(error, this.options.url);
    } finally {
      clearTimeout(timer);
      if (this.abort === controller) this.abort = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function responseError(response: Response, what: string): SdkError | undefined {
  if (response.status === 401 || response.status === 403) {
    return new SdkError(
      "UNAUTHORIZED",
      `the server refused the SDK token (HTTP ${response.status}); check that it is an "sdk" token of this server. Not retrying.`,
      response.status,
    );
  }
  if (response.status !== 200)
    return new SdkError("BAD_RESPONSE", `the ${what} endpoint answered HTTP ${response.status}`, response.status);
  return undefined;
}

function networkError(error: unknown, url: string): SdkError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return new SdkError("UNREACHABLE", `cannot reach the server at ${url}: ${detail}`);
}
