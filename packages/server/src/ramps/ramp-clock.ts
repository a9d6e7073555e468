import type { RampState, RampStatus } from "@darklaunch/core";
import type { RampStore } from "./ramp-store.js";

const MINUTE_MS = 60_000;

/** What the clock needs of a ramp: when it started, its minute, and its history of targets. */
export interface ClockedRamp {
  startedAt: string;
  minuteMs: number;
  state: Pick<RampState, "history" | "target">;
}

/**
 * A ramp's data clock. Observation windows are whole minutes of the reporters' time; a ramp runs on
 * the server's `minuteMs`, which tests and demos shorten to seconds. The data clock maps the ramp's
 * time onto window minutes: it starts at the ramp's start and runs `60 000 / minuteMs` times as
 * fast, so one ramp minute is one window minute. With the production minute it is the wall clock.
 * The ramp keeps its `minuteMs` from its start, so a restart with another setting keeps the mapping.
 *
 * @example
 * const clock = new RampClock(ramp);
 * clock.dataTime(Date.now()); // epoch ms on the windows' timeline
 */
export class RampClock {
  private readonly startMs: number;
  private readonly scale: number;

  constructor(private readonly ramp: ClockedRamp) {
    this.startMs = Date.parse(ramp.startedAt);
    this.scale = MINUTE_MS / ramp.minuteMs;
  }

  /** The window time (epoch ms) at a real time. */
  dataTime(realMs: number): number {
    return this.startMs + (realMs - this.startMs) * this.scale;
  }

  /** The real time at a window time. */
  realTime(dataMs: number): number {
    return this.startMs + (dataMs - this.startMs) / this.scale;
  }

  /** The first window minute of the ramp (its start, rounded down), ISO. */
  firstMinute(): string {
    return new Date(floorMinute(this.startMs)).toISOString();
  }

  /**
   * The share of traffic (0..1) the ramp gave dark when the window minute `start` began: the
   * target of the last history event before it (the first event's for minutes before the start).
   */
  shareAt(start: string): number {
    const real = this.realTime(Date.parse(start));
    const { history, target } = this.ramp.state;
    let share = (history[0]?.target ?? target).percentage;
    for (const event of history) {
      if (event.at > real) break;
      share = event.target.percentage;
    }
    return share / 100;
  }
}

export function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** The window minute (epoch ms) a reporter's window that began at `realMs` counts in, on a ramp's data clock. */
export function dataMinuteOf(clock: RampClock, realMs: number): number {
  return floorMinute(clock.dataTime(realMs));
}

const ACTIVE: readonly RampStatus[] = ["running", "paused"];

/**
 * For the observations a server with short minutes takes in: per flag of `flags` under an active
 * ramp, the mapping of a window's real start onto the ramp's data minute, so that the runner, the
 * verdict and the analysis read one short period as one ramp minute. Flags under no ramp are absent.
 */
export async function rampDataMinutes(
  store: Pick<RampStore, "list">,
  flags: readonly string[],
): Promise<Map<string, (realMs: number) => number>> {
  const wanted = new Set(flags);
  const out = new Map<string, (realMs: number) => number>();
  if (wanted.size === 0) return out;
  for (const ramp of await store.list(ACTIVE)) {
    if (!wanted.has(ramp.flag) || out.has(ramp.flag)) continue;
    const clock = new RampClock(ramp);
    out.set(ramp.flag, (realMs) => dataMinuteOf(clock, realMs));
  }
  return out;
}
