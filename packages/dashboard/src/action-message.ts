import type { FlagRecord, RampRecord } from "@darklaunch/core";

/**
 * What an action's message describes: a stamp of the state it was about and how new that state is
 * (a tuple compared in order, so a newer ramp beats any update of an older one).
 */
export interface StateMark {
  stamp: string;
  at: readonly number[];
}

/** A confirmation or error after an action, tied to the state it describes. */
export interface ActionMessage {
  kind: "ok" | "error";
  text: string;
  about: StateMark;
}

const newer = (a: readonly number[], b: readonly number[]): boolean => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? Number.NEGATIVE_INFINITY;
    const y = b[i] ?? Number.NEGATIVE_INFINITY;
    if (x !== y) return x > y;
  }
  return false;
};

/**
 * True when the page now shows a newer state than the one the message describes, and a different
 * one: "Ramp started." is stale once the step has advanced. A page that has not caught up with the
 * action yet (an older state) keeps the message.
 */
export function isStaleMessage(about: StateMark, now: StateMark): boolean {
  return now.stamp !== about.stamp && newer(now.at, about.at);
}

/** The ramp as ramp messages see it: which ramp, its status and its step (not its verdicts or lease). */
export function rampMark(ramp: Pick<RampRecord, "id" | "status" | "state" | "startedAt" | "updatedAt"> | null | undefined): StateMark {
  if (ramp === null || ramp === undefined) return { stamp: "none", at: [] };
  return {
    stamp: `${ramp.id}:${ramp.status}:${ramp.state.phase}:${ramp.state.step}`,
    at: [Date.parse(ramp.startedAt), Date.parse(ramp.updatedAt)],
  };
}

/** The flag as its messages see it: every write bumps its version. */
export function flagMark(flag: Pick<FlagRecord, "version">): StateMark {
  return { stamp: String(flag.version), at: [flag.version] };
}

/** The message to show now: none once the state it describes has changed. */
export function currentMessage(message: ActionMessage | null, now: StateMark): ActionMessage | null {
  return message !== null && isStaleMessage(message.about, now) ? null : message;
}
