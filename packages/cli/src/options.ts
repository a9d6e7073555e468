import { readFileSync } from "node:fs";
import { DurationParam, isValidPercentage, KeySchema, MAX_PAGE_LIMIT, TimeParam, toHundredths } from "@darklaunch/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { ApiClient } from "./client.js";
import { clientFor, type GlobalOptions } from "./config.js";
import { CliError, UsageError } from "./errors.js";

/** `--percentage 12.5` (or `12.5%`): 0 to 100 with at most two decimals, else a usage error (exit 2). */
export function parsePercentage(text: string): number {
  const trimmed = text.trim().replace(/%$/, "");
  const value = trimmed === "" ? Number.NaN : Number(trimmed);
  if (!isValidPercentage(value)) {
    throw new InvalidArgumentError(
      `must be a percentage from 0 to 100 with at most two decimals (0.01 steps), got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * `--split stable=50,shadow=40,dark=10`: variant keys with weights (percent, at most two decimals)
 * that sum to 100, in position order; anything else is a usage error (exit 2) naming the option.
 */
export function parseSplit(text: string): { variant: string; weight: number }[] {
  const fail = (why: string) =>
    new InvalidArgumentError(`${why}; write it as variant=weight,… with weights summing to 100, e.g. stable=50,shadow=40,dark=10`);
  const entries = text.split(",").map((part) => {
    const at = part.indexOf("=");
    if (at <= 0) throw fail(`"${part.trim()}" is not variant=weight`);
    const variant = part.slice(0, at).trim();
    const named = KeySchema.safeParse(variant);
    if (!named.success) throw fail(`variant "${variant}" ${named.error.issues[0]?.message ?? "is not a variant key"}`);
    const weightText = part
      .slice(at + 1)
      .trim()
      .replace(/%$/, "");
    const weight = weightText === "" ? Number.NaN : Number(weightText);
    if (!isValidPercentage(weight))
      throw fail(`the weight of "${variant}" must be from 0 to 100 with at most two decimals, got "${weightText}"`);
    return { variant, weight };
  });
  const names = entries.map((entry) => entry.variant);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw fail(`variant "${twice}" appears twice`);
  // Sum in hundredths: 33.33 + 33.33 + 33.34 is exactly 100, which floating point misses.
  const total = entries.reduce((sum, entry) => sum + toHundredths(entry.weight), 0);
  if (total !== 10_000) throw fail(`the weights sum to ${total / 100}, not 100`);
  return entries;
}

export function parsePositiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`must be a whole number of at least 1, got ${JSON.stringify(text)}`);
  return value;
}

/** Repeatable option: `--id a --id b` (each may also hold a comma-separated list). */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== ""),
  ];
}

/** `--attr country=NL --attr plan=pro` → `{ country: "NL", plan: "pro" }`. */
export function collectAttr(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`must be name=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** `include` / `exclude`, accepting `allow` / `deny` too. */
export function parseVerdict(text: string): "include" | "exclude" {
  const verdict = { include: "include", allow: "include", exclude: "exclude", deny: "exclude" }[text.toLowerCase()];
  if (verdict === undefined)
    throw new InvalidArgumentError(`must be include or exclude (allow / deny also work), got ${JSON.stringify(text)}`);
  return verdict as "include" | "exclude";
}

/** A query parameter's schema from the API contract, as far as an option parser needs it. */
interface ParamSchema {
  safeParse(input: unknown): { success: boolean; error?: { issues: readonly { message: string }[] } };
}

/**
 * An option parser that checks a value with the schema the server checks it with, so what the
 * server would refuse is a usage error (exit 2) before any request; the text is passed on as is.
 */
export function checkedBy(schema: ParamSchema): (text: string) => string {
  return (text) => {
    const checked = schema.safeParse(text);
    if (checked.success) return text;
    throw new InvalidArgumentError(checked.error?.issues[0]?.message ?? `is not accepted: ${JSON.stringify(text)}`);
  };
}

/** `30m`, `1h`, `7d`, `2w`, or an ISO date with its zone (the API's `since` / `until`). */
export const parseSince = checkedBy(TimeParam);

/** A duration such as `30m`, `1h`, `1d` or `2w` (the API's `period`). */
export const parseDuration = checkedBy(DurationParam);

/** `--limit` of a log page: at least 1, at most the API's page limit. */
export function parsePageLimit(text: string): number {
  return parseLimit(text, MAX_PAGE_LIMIT);
}

/** A whole number from 1 to `max`. */
export function parseLimit(text: string, max: number): number {
  const value = parsePositiveInt(text);
  if (value > max) throw new InvalidArgumentError(`must be at most ${max}, got ${JSON.stringify(text)}`);
  return value;
}

export const jsonOption = () => new Option("--json", "print JSON instead of a table");

/** Ids from a file, one per line (`-` reads stdin); blank lines and `#` comments are skipped. */
export function readIdsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ids file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The subjects of `--id …` and `--ids-file FILE`, de-duplicated in order; at least one is required. */
export function subjectsOf(options: { id?: string[]; idsFile?: string }, what = "subject"): string[] {
  const ids = [...(options.id ?? []), ...(options.idsFile === undefined ? [] : readIdsFile(options.idsFile))];
  if (ids.length === 0) {
    if (options.idsFile !== undefined) throw new CliError(`${options.idsFile} holds no ids`);
    throw new UsageError(`give at least one ${what} with --id ID (repeatable) or --ids-file FILE`);
  }
  return [...new Set(ids)];
}

/** The API client for an action, from the global --url / --token, env and profile. */
export function apiOf(command: Command): ApiClient {
  return clientFor(command.optsWithGlobals<GlobalOptions>());
}

/** Splits a list into chunks of `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function parsePort(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new InvalidArgumentError(`must be a port from 0 to 65535, got ${JSON.stringify(text)}`);
  return value;
}
