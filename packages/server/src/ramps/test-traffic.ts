import { LatencySketch, type ObservationWindow, type RampRecord, type SideWindow } from "@darklaunch/core";
import { TestReceiver } from "@darklaunch/testkit";
import { afterAll, beforeAll } from "vitest";
import { type STORE_FACTORIES, type TestServer, useTestServer } from "../test-support.js";
import { dataMinuteOf, RampClock } from "./ramp-clock.js";

/** Latencies of both sides: 100 values, 10 ms to 109 ms, equally often. */
const LATENCIES = Array.from({ length: 100 }, (_, i) => 10 + i);

/** One side of a window: `requests` spread evenly over `LATENCIES`, `errors` of them failed. */
export function trafficSide(requests: number, errors: number): SideWindow {
  const sketch = new LatencySketch();
  const each = Math.floor(requests / LATENCIES.length);
  const extra = requests % LATENCIES.length;
  LATENCIES.forEach((ms, i) => {
    const weight = each + (i < extra ? 1 : 0);
    if (weight > 0) sketch.record(ms, weight);
  });
  return { requests, errors, latency: sketch.toJSON(), reservoir: requests === 0 ? [] : LATENCIES.slice(0, Math.min(requests, 20)) };
}

export interface TrafficSpec {
  /** Requests per minute over both sides. */
  requests: number;
  baseErrorRate: number;
  /** Dark's error rate, given the dark share of the minute (0..1). */
  darkErrorRate: (share: number) => number;
  /** The share dark really gets, given the ramp's target share (default: the target; else a sample-ratio mismatch). */
  darkShare?: (target: number) => number;
}

/**
 * A reporter for ramp tests: posts split-mode windows of a flag for every complete period of the
 * ramp's (short) minute, stamped with the period's real start as real reporters do (the server
 * stores each at its ramp minute), each split as the ramp had the flag when that ramp minute began
 * (so the judge sees the target share it expects), one period behind as real reporters are.
 */
export class TrafficReporter {
  private next: number | undefined;

  constructor(
    private readonly flag: string,
    private readonly spec: TrafficSpec,
  ) {}

  /** Posts the minutes that are complete now through `server`; answers the ramp as read. */
  async report(server: TestServer): Promise<RampRecord> {
    const { status, body } = await server.request("GET", `/api/v1/flags/${this.flag}/ramp`, undefined, { scope: "read" });
    if (status !== 200) throw new Error(`GET ramp answered ${status}: ${JSON.stringify(body)}`);
    const ramp = body.ramp as RampRecord;
    const clock = new RampClock(ramp);
    const period = ramp.minuteMs;
    const now = Date.now();
    this.next ??= Math.floor(Date.parse(ramp.startedAt) / period) * period;
    const windows: ObservationWindow[] = [];
    while (this.next + 2 * period <= now && windows.length < 500) {
      const minute = new Date(dataMinuteOf(clock, this.next)).toISOString();
      windows.push(this.window(new Date(this.next).toISOString(), clock.shareAt(minute)));
      this.next += period;
    }
    if (windows.length > 0) {
      const posted = await server.request("POST", "/api/v1/observations", { windows }, { scope: "sdk" });
      if (posted.status !== 202) throw new Error(`POST observations answered ${posted.status}: ${JSON.stringify(posted.body)}`);
    }
    return ramp;
  }

  private window(start: string, target: number): ObservationWindow {
    const share = this.spec.darkShare?.(target) ?? target;
    const dark = Math.round(this.spec.requests * share);
    const baseline = this.spec.requests - dark;
    return {
      flag: this.flag,
      source: "proxy",
      route: "GET /items",
      start,
      baseline: trafficSide(baseline, Math.round(baseline * this.spec.baseErrorRate)),
      dark: trafficSide(dark, Math.round(dark * this.spec.darkErrorRate(share))),
      comparison: { total: 0, matched: 0, mismatched: 0, noiseTotal: 0, fields: {}, noise: {} },
      samples: [],
    };
  }
}

/**
 * Reports traffic until `done(ramp)` holds, then answers the ramp; fails after `timeoutMs`. The
 * wait is on the ramp's own state (polled), never a fixed sleep deciding the outcome.
 */
export async function reportUntil(
  server: () => TestServer,
  reporter: TrafficReporter,
  done: (ramp: RampRecord) => boolean,
  timeoutMs = 60_000,
): Promise<RampRecord> {
  const deadline = Date.now() + timeoutMs;
  let last: RampRecord | undefined;
  while (Date.now() < deadline) {
    last = await reporter.report(server());
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `the ramp did not reach the expected state in ${timeoutMs} ms; it is ${last?.status} at ${last?.state.phase} step ${last?.state.step}: ${last?.state.statusWhy} (last verdict: ${last?.state.lastVerdict?.why})`,
  );
}

/** Polls `read` until `done` holds; fails naming `what` and the last value after `ms`. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

/**
 * Registers a ramp suite's server (`useTestServer`: ramp minutes of `minuteMs`, alerts sent at once,
 * to private addresses too) and a webhook receiver for its alerts, started before the server and
 * closed after it. `use` receives both (no server when Postgres is absent off CI).
 */
export function useRampTestServer(
  factory: (typeof STORE_FACTORIES)[number],
  minuteMs: number,
  use: (server: TestServer | undefined, receiver: TestReceiver) => void,
): void {
  let receiver: TestReceiver | undefined;
  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  useTestServer(factory, (server) => use(server, receiver as TestReceiver), {
    minuteMs,
    allowPrivateWebhookTargets: true,
    alerts: { wait: async () => {} },
  });
}
