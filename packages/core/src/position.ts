import { md5Uint32, utf8Bytes } from "./md5.js";

/** Positions and percentages are compared in integer hundredths of a percent: 0 … 9999. */
export const POSITION_SCALE = 10_000;

const EMPTY = new Uint8Array(0);

/**
 * The bytes hashed before the subject: `salt + ":"`, or nothing for the empty salt (docs/architecture.md#position-deterministic-bucketing).
 * Compiled flags keep this so that bucketing never concatenates strings.
 */
export function saltPrefix(salt: string): Uint8Array {
  return salt === "" ? EMPTY : utf8Bytes(`${salt}:`);
}

/** Position in integer hundredths (0 … 9999) of `subject` under a pre-encoded salt prefix. */
export function positionHundredths(prefix: Uint8Array, subject: string): number {
  return md5Uint32(prefix, subject) % POSITION_SCALE;
}

/**
 * Where a subject falls in [0.00, 99.99] for a salt, exactly as docs/architecture.md#position-deterministic-bucketing:
 * `(uint32_be(md5(salt === "" ? subject : salt + ":" + subject)[0..4]) mod 10000) / 100`.
 * A subject is inside a rollout of `p` percent when `position < p`.
 *
 * @example
 * position("u42", "checkout-v2"); // the same number on every machine, in every process
 */
export function position(subject: string, salt: string): number {
  // Callers usually ask for many subjects under one salt: keep its encoding for the next call.
  if (salt !== lastSalt) {
    lastPrefix = saltPrefix(salt);
    lastSalt = salt;
  }
  return positionHundredths(lastPrefix, subject) / 100;
}

let lastSalt = "";
let lastPrefix: Uint8Array = EMPTY;

/** Converts a percentage with at most two decimals to integer hundredths (10.5 → 1050). */
export function toHundredths(percentage: number): number {
  return Math.round(percentage * 100);
}

/** True when `n` is a percentage from 0 to 100 with at most two decimals. */
export function isValidPercentage(n: number): boolean {
  if (!Number.isFinite(n) || n < 0 || n > 100) return false;
  // Exact: k/100 divided back is the same double as the decimal text `k/100` parsed, while a
  // tolerance would let 1e-300 (0 hundredths) through and store a weight that is not what it counts.
  return Math.round(n * 100) / 100 === n;
}

/**
 * The SQL that reproduces a position inside Postgres, for operators who audit outside darklaunch.
 * Both arguments are SQL expressions (column names or parameters). `::bigint` matters:
 * `bit(32)::int` is signed and would put half of all subjects below zero, inside every rollout.
 *
 * @example
 * positionSql("'checkout-v2'", "user_id"); // use in SELECT … FROM users
 */
export function positionSql(saltExpr: string, subjectExpr: string): string {
  const hashed = `CASE WHEN ${saltExpr} = '' THEN ${subjectExpr} ELSE ${saltExpr} || ':' || ${subjectExpr} END`;
  return `(('x' || substr(md5(${hashed}), 1, 8))::bit(32)::bigint % 10000) / 100.0`;
}
