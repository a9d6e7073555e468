/**
 * Small builders shared by the core's tests. Not part of the package (tsconfig excludes `test-*.ts`).
 */
import { createHash } from "node:crypto";
import type { FlagInput, RulesetInput, Serve } from "./flag-schema.js";
import { type CompileOptions, compile, type Snapshot } from "./snapshot.js";

/** A valid, enabled boolean flag `f` (variants on/off) that serves "off"; any field can be replaced. */
export function flag(overrides: Partial<FlagInput> = {}): FlagInput {
  return {
    key: "f",
    enabled: true,
    variants: { on: true, off: false },
    offVariant: "off",
    fallthrough: { variant: "off" },
    ...overrides,
  };
}

/** A dark launch at `percentage`: `{ split: [{ on, p }, { off, 100 - p }] }`, weights in exact hundredths. */
export function rollout(percentage: number, on = "on", off = "off"): Serve {
  return {
    split: [
      { variant: on, weight: percentage },
      { variant: off, weight: (10_000 - Math.round(percentage * 100)) / 100 },
    ],
  };
}

/** Validates and compiles flags plus, optionally, segments and overrides. */
export function snapshotOf(flags: FlagInput[], rest: Omit<RulesetInput, "flags"> = {}, options: CompileOptions = {}): Snapshot {
  return compile({ flags, ...rest }, options);
}

/** docs/architecture.md#position-deterministic-bucketing the slow, obvious way: md5 from node:crypto, first 4 bytes big-endian, mod 10 000, / 100. */
export function referencePosition(subject: string, salt: string): number {
  const digest = createHash("md5")
    .update(salt === "" ? subject : `${salt}:${subject}`, "utf8")
    .digest();
  return (digest.readUInt32BE(0) % 10_000) / 100;
}

/** The first subject `user-0`, `user-1` … whose position under `salt` satisfies `wanted`. */
export function findSubject(salt: string, wanted: (position: number) => boolean): string {
  for (let i = 0; i < 1_000_000; i++) {
    const subject = `user-${i}`;
    if (wanted(referencePosition(subject, salt))) return subject;
  }
  throw new Error(`no subject found under salt "${salt}"`);
}
