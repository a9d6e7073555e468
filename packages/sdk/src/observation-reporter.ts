import { MAX_WINDOWS_PER_BATCH, type ObservationBatch, type ObservationRecorder, type ObservationWindow } from "@darklaunch/core";
import { SdkError } from "./errors.js";
import { postFailed } from "./http-post.js";

/** Counters of what happened to recorded windows (`client.observationStats()`). */
export interface ObservationReportStats {
  /** Windows the server accepted. */
  sentWindows: number;
  /** Windows the server refused (a 4xx other than 429): dropped, not retried. */
  rejectedWindows: number;
  /** Windows the server accepted the batch of but skipped: their flag does not exist there. */
  skippedWindows: number;
  /** POSTs that failed, whether retried (no answer, 5xx, 429) or refused. */
  failedPosts: number;
}

/**
 * Sends what an `ObservationRecorder` collected to `POST /api/v1/observations` every interval, in
 * batches of at most `MAX_WINDOWS_PER_BATCH` windows. A batch that fails for a passing reason (no
 * answer, 5xx, 429) goes back into the recorder for the next interval — bounded by the recorder's
 * window limit, which counts what does not fit — while one the server refuses is dropped, counted
 * and reported through `onError`, since sending it again would be refused again.
 */
export class ObservationReporter {
  private timer: NodeJS.Timeout | undefined;
  private intervalMs: number;
  private sending: Promise<void> | undefined;
  private readonly stats: ObservationReportStats = { sentWindows: 0, rejectedWindows: 0, skippedWindows: 0, failedPosts: 0 };

  constructor(
    private readonly recorder: ObservationRecorder,
    private readonly instance: string,
    /** Resolves with the server's answer (`{ accepted, skipped }`), or rejects with an `SdkError`. */
    private readonly send: (batch: ObservationBatch, signal: AbortSignal) => Promise<unknown>,
    private readonly onError: (error: SdkError) => void,
    intervalMs: number,
    /**
     * Given when no window length was set: the server's answers tell its minute (`minuteMs`), which
     * the recorder then takes, and the send interval becomes `flushFor(minuteMs)`.
     */
    private readonly learn?: { flushFor: (minuteMs: number) => number },
  ) {
    this.intervalMs = intervalMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes the server's minute from its answer (a server run with short minutes, for tests and demos). */
  private learnMinute(answer: unknown): void {
    if (this.learn === undefined) return;
    const minuteMs = (answer as { minuteMs?: unknown } | undefined)?.minuteMs;
    if (typeof minuteMs !== "number" || !Number.isSafeInteger(minuteMs) || minuteMs < 1 || minuteMs > 60_000) return;
    if (minuteMs === this.recorder.minute) return;
    this.recorder.setMinute(minuteMs);
    this.intervalMs = this.learn.flushFor(minuteMs);
    if (this.timer) {
      this.stop();
      this.start();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get counters(): ObservationReportStats {
    return { ...this.stats };
  }

  /**
   * Drains the recorder and sends every window; resolves when done (never rejects). A flush
   * already under way is waited for first, so two never overlap. Every POST gives up at `deadline`
   * (epoch ms; default 10 s from its start), and what it held is put back.
   */
  async flush(deadline?: number): Promise<void> {
    while (this.sending) await this.sending;
    const windows = this.recorder.drain();
    if (windows.length === 0) return;
    this.sending = this.sendAll(windows, deadline).finally(() => {
      this.sending = undefined;
    });
    await this.sending;
  }

  private async sendAll(windows: ObservationWindow[], deadline: number | undefined): Promise<void> {
    for (let i = 0; i < windows.length; i += MAX_WINDOWS_PER_BATCH) {
      const chunk = windows.slice(i, i + MAX_WINDOWS_PER_BATCH);
      const signal = AbortSignal.timeout(deadline === undefined ? 10_000 : Math.max(1, deadline - Date.now()));
      try {
        const answer = await this.send({ instance: this.instance, windows: chunk }, signal);
        this.learnMinute(answer);
        const skipped = skippedFlags(answer);
        this.stats.sentWindows += chunk.length - skipped.length;
        this.stats.skippedWindows += skipped.length;
        if (skipped.length > 0) {
          const flags = [...new Set(skipped)].map((f) => JSON.stringify(f)).join(", ");
          this.onError(
            new SdkError("OBSERVATIONS_FAILED", `the server skipped ${skipped.length} observation windows: no flag ${flags} there`),
          );
        }
      } catch (error) {
        if (postFailed(error, chunk.length, "observation", "OBSERVATIONS_FAILED", this.stats, this.onError)) {
          // The server is away or busy: keep this chunk and the rest for the next interval.
          this.recorder.restore(windows.slice(i));
          return;
        }
      }
    }
  }
}

/** The flags of windows the server skipped, from its answer `{ accepted, skipped: [{ index, flag, reason }] }`. */
function skippedFlags(answer: unknown): string[] {
  const skipped = (answer as { skipped?: unknown } | undefined)?.skipped;
  if (!Array.isArray(skipped)) return [];
  return skipped.map((s) => (typeof (s as { flag?: unknown })?.flag === "string" ? (s as { flag: string }).flag : "?"));
}
