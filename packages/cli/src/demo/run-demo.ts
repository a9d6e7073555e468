import type { RampEvent, RampRecord, RampResponse, VerdictResponse } from "@darklaunch/core";
import { apiPath } from "../client.js";
import { CliError } from "../errors.js";
import { DARK_EXTRA_ERROR_RATE, DEMO_FLAG, DEMO_JUDGE, DEMO_PLAN, FAIL_AT_STEP } from "./demo-plan.js";
import { describeAlert, describeEvent, introduction, statusText, stepNumber } from "./demo-text.js";
import { type ProgressLine, progressLine } from "./progress-line.js";
import { type Closers, type DemoParts, type DemoSettings, startDemo } from "./start-demo.js";
import type { ReceivedAlert } from "./webhook-receiver.js";

export interface DemoOptions extends DemoSettings {
  /** Exit (0) once the rollback's alert arrived, instead of running until Ctrl-C. */
  untilRollback: boolean;
  /** Plain status lines even on a terminal. */
  plain: boolean;
  /** In `untilRollback` mode: give up (exit 1) after this many seconds without the rollback alert. */
  timeoutSeconds: number;
}

const POLL_MS = 250;
/** Mirrors before the ramp starts: dark's connections, caches and compiled code warm, so its first judged minutes are not its slowest. */
const WARMUP_MIRRORS = 200;

/**
 * `darklaunch demo`: starts everything (see `startDemo`), starts the ramp, and narrates it —
 * steps, dark's failure at `FAIL_AT_STEP`, the rollback, the signed alert — until Ctrl-C (or, with
 * `untilRollback`, until the rollback's alert arrived). Then closes every part and removes the
 * temporary store, whatever happened before.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const out = progressLine({ plain: options.plain });
  const began = Date.now();
  const stamp = (line: string) => `[${((Date.now() - began) / 1000).toFixed(1).padStart(5)}s] ${line}`;
  const closers: Closers = [];
  const stop = stopSignal(out);
  let rollbackAlert: (() => void) | undefined;
  const rolledBackAlerted = new Promise<void>((resolve) => {
    rollbackAlert = resolve;
  });
  let watch: RampWatch | undefined;
  try {
    const parts = await startDemo(options, closers, {
      warn: (line) => out.warn(line),
      onAlert: (received: ReceivedAlert) => {
        const print = () => {
          for (const line of describeAlert(received)) out.event(stamp(line));
          const { alert } = received;
          if (received.verified && alert.kind === "verdict" && alert.severity === "page" && alert.state === "REGRESSION") rollbackAlert?.();
        };
        // The ramp's own events first: the alert is sent after the rollback was written, often before the next poll.
        if (watch === undefined) print();
        else void watch.catchUp().then(print);
      },
    });
    for (const line of introduction(parts, options)) out.event(line);

    out.event(stamp(`warming up: every request mirrored to dark and the secondary until ${WARMUP_MIRRORS} were sent (not judged)`));
    await warmUp(parts, out);
    const { ramp } = await parts.api.send<RampResponse>("POST", apiPath("flags", DEMO_FLAG, "ramp"), {
      plan: DEMO_PLAN,
      darkBuild: "quote-v2 build 2",
      judge: DEMO_JUDGE,
    });
    watch = new RampWatch(parts, out, stamp, ramp);
    const watching = watch.run();
    const deadline = options.untilRollback ? timeout(options.timeoutSeconds * 1000) : undefined;
    const ended = await Promise.race([
      stop.signalled.then(() => "signal" as const),
      ...(options.untilRollback ? [rolledBackAlerted.then(() => "rollback" as const)] : []),
      ...(deadline === undefined ? [] : [deadline.promise.then(() => "timeout" as const)]),
    ]);
    deadline?.cancel();
    watch.stop();
    await watching;
    if (ended === "timeout") {
      throw new CliError(
        `the ramp did not roll back with an alert within ${options.timeoutSeconds} s: ${watch.summary()}`,
        1,
        [],
        "a slower machine needs more time: try --timeout, or a lower --rate if the machine cannot keep up",
      );
    }
    if (ended === "signal" && options.untilRollback) process.exitCode = 1;
  } finally {
    out.end();
    out.event(stamp("stopping: traffic, proxy (its observations are flushed), services, control plane; removing the temporary store"));
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        out.warn(`error: closing a part of the demo failed: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    }
    stop.remove();
    out.event(stamp("stopped; nothing left behind"));
  }
}

/**
 * Follows the ramp every quarter second: prints each new event of its history, makes dark fail
 * once the ramp reaches `FAIL_AT_STEP`, and keeps the status line current with the verdict.
 */
class RampWatch {
  /** Events printed already, by time, kind and why (the history keeps only its newest events). */
  private readonly seen = new Set<string>();
  private failing = false;
  private stopped = false;
  private verdict: VerdictResponse | undefined;
  private lastVerdictAt = 0;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly parts: DemoParts,
    private readonly out: ProgressLine,
    private readonly stamp: (line: string) => string,
    private ramp: RampRecord,
  ) {}

  /** Runs until `stop()`; after a rollback it goes on showing the traffic. */
  async run(): Promise<void> {
    while (!this.stopped) {
      await this.catchUp();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Reads the ramp now and prints what is new; never two reads at once. */
  catchUp(): Promise<void> {
    this.reading = this.reading.then(async () => {
      try {
        await this.step();
      } catch (error) {
        if (!this.stopped) this.out.warn(`demo: reading the ramp failed: ${(error as Error).message}`);
      }
    });
    return this.reading;
  }

  stop(): void {
    this.stopped = true;
  }

  summary(): string {
    const { state } = this.ramp;
    const v = this.verdict;
    return `the ramp is ${this.ramp.status} at ${state.phase} step ${state.step + 1} (${state.target.percentage}%); last verdict ${v?.state ?? "none"}: ${v?.why ?? "-"}`;
  }

  private async step(): Promise<void> {
    const { api } = this.parts;
    this.ramp = (await api.get<RampResponse>(apiPath("flags", DEMO_FLAG, "ramp"))).ramp;
    for (const event of this.ramp.state.history as RampEvent[]) {
      const key = `${event.at}:${event.kind}:${event.why}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.out.event(this.stamp(describeEvent(event, this.ramp)));
      if (this.failing && event.kind === "advance") {
        this.out.event(
          this.stamp(
            "  (dark is failing, but not long enough yet for the judge: harm evidence builds over the whole build, and safety shown before holds until harm is shown)",
          ),
        );
      }
    }
    const position = stepNumber(this.ramp);
    if (!this.failing && this.ramp.status === "running" && position >= FAIL_AT_STEP) {
      this.failing = true;
      this.parts.dark.startFailing(DARK_EXTRA_ERROR_RATE);
      this.out.event(
        this.stamp(
          `dark starts failing: ${Math.round(DARK_EXTRA_ERROR_RATE * 100)} % more of its requests answer 503 (step ${position}); the judge should see it and roll back`,
        ),
      );
    }
    if (Date.now() - this.lastVerdictAt >= 1000 && this.ramp.status === "running") {
      this.lastVerdictAt = Date.now();
      this.verdict = await api.get<VerdictResponse>(apiPath("flags", DEMO_FLAG, "verdict"));
    }
    this.out.status(statusText(this.parts, this.ramp, this.verdict));
  }
}

/**
 * Mirrors every request until `WARMUP_MIRRORS` came back (or half a minute passed: a slow machine
 * starts anyway). The ramp then sets the flag to its first step; minutes before its start are
 * never judged.
 */
async function warmUp(parts: DemoParts, out: ProgressLine): Promise<void> {
  await parts.api.send("PATCH", apiPath("flags", DEMO_FLAG), { percentage: 100, variant: "shadow" });
  const deadline = Date.now() + 30_000;
  while (parts.proxy.stats().mirrors.sent < WARMUP_MIRRORS && Date.now() < deadline) {
    const { sent } = parts.traffic.counts();
    out.status(`warming up · ${sent} requests, ${parts.proxy.stats().mirrors.sent} of ${WARMUP_MIRRORS} mirrors`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** SIGINT / SIGTERM end the demo (cleanly); a second one exits at once. */
function stopSignal(out: ProgressLine): { signalled: Promise<void>; remove(): void } {
  let fire: (() => void) | undefined;
  const signalled = new Promise<void>((resolve) => {
    fire = resolve;
  });
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      out.warn(`${signal} again: exiting now (the temporary store may be left behind)`);
      process.exit(1);
    }
    fire?.();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signalled,
    remove() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

function timeout(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
