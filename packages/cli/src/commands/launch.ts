import {
  type Flag,
  type FlagListResponse,
  type FlagPatchInput,
  type FlagRecord,
  formatPercentage,
  type LaunchRequest,
  type LaunchResponse,
  routingFormula,
} from "@darklaunch/core";
import type { Command } from "commander";
import { type ApiClient, ApiError, apiPath } from "../client.js";
import { CliError, UsageError } from "../errors.js";
import { apiOf, jsonOption, parsePercentage, parseSplit } from "../options.js";
import { change, percent, print, printFields, printJson, printTable, shortTime, splitText } from "../output.js";

interface EnableOptions {
  percentage?: number;
  split?: { variant: string; weight: number }[];
  bucketBy?: string;
  salt?: string;
  variant?: string;
}

/** Looks a flag up; undefined when it does not exist. */
export async function findFlag(api: ApiClient, key: string): Promise<FlagRecord | undefined> {
  const response = await api.request<FlagRecord>("GET", apiPath("flags", key), { allow: [404] });
  return response.status === 404 ? undefined : response.body;
}

/** Turns a 409 on a write into a message that says what happened and what to do. */
export function explainConflict(error: unknown, key: string, verb: string): never {
  if (error instanceof ApiError && error.code === "VERSION_CONFLICT") {
    throw new CliError(
      `flag "${key}" was changed by someone else while this command ran (${error.message}); nothing was written — run \`darklaunch ${verb}\` again to apply your change on top of theirs`,
    );
  }
  throw error;
}

/** The flag part of a record, as PUT takes it. */
export function flagBody(view: FlagRecord): Flag {
  const { archived: _a, createdAt: _c, updatedAt: _u, percentage: _p, ...flag } = view;
  return flag;
}

/**
 * One call: the server creates the release flag or launches the existing one to the percentage, in
 * one transaction, and answers with the flag before and after.
 */
async function enable(key: string, options: EnableOptions, command: Command): Promise<void> {
  if ((options.percentage === undefined) === (options.split === undefined))
    throw new UsageError("give either --percentage P (a two-way rollout) or --split stable=50,shadow=40,dark=10 (every variant's share)");
  if (options.split !== undefined && options.variant !== undefined)
    throw new UsageError("--variant goes with --percentage; --split names every variant itself");
  const request: LaunchRequest = {
    ...(options.percentage === undefined ? {} : { percentage: options.percentage }),
    ...(options.split === undefined ? {} : { split: options.split }),
    ...(options.variant === undefined ? {} : { variant: options.variant }),
    ...(options.bucketBy === undefined ? {} : { bucketBy: options.bucketBy }),
    ...(options.salt === undefined ? {} : { salt: options.salt }),
  };
  let answer: LaunchResponse;
  try {
    answer = await apiOf(command).send<LaunchResponse>("PUT", apiPath("flags", key, "launch"), request);
  } catch (error) {
    if (error instanceof ApiError && error.code === "IN_USE") throw new CliError(`${error.message}: darklaunch flags unarchive ${key}`);
    // A percentage on a several-variant split: the server's message shows the split and the fix.
    const [only] = error instanceof ApiError && error.details.length === 1 ? error.details : [];
    if (only?.path === "percentage" && only.message.includes("--split")) throw new CliError(only.message);
    throw error;
  }
  const { created, changed, before, flag } = answer;
  const routing = routingFormula(flag, options.percentage);
  if (created || before === null) {
    const variants = Object.keys(flag.variants).join("/");
    print(
      options.split === undefined
        ? `Dark launch created for flag ${key} (release flag, variants ${variants})`
        : `Dark launch created for flag ${key} (variants ${variants}; "${flag.offVariant}" when disabled)`,
    );
    printFields([
      options.split === undefined ? ["percentage", percent(flag.percentage)] : ["split", splitText(flag.fallthrough)],
      ["enabled", String(flag.enabled)],
      ["bucket by", flag.bucketBy],
      ["salt", flag.salt ?? `${flag.key} (the flag key)`],
      ["routing", routing],
      ["version", flag.version],
    ]);
    return;
  }
  if (!changed) {
    const what = options.percentage === undefined ? `split ${splitText(flag.fallthrough)}` : `${formatPercentage(options.percentage)}%`;
    print(`No change: flag ${key} is already enabled at ${what} (version ${flag.version})`);
    printFields([["routing", routing]]);
    return;
  }
  print(`Dark launch updated for flag ${key}`);
  // The whole split, not only one share: every variant's share before → after.
  const split = change(splitText(before.fallthrough), splitText(flag.fallthrough));
  const fields: [string, string][] =
    before.percentage !== null && flag.percentage !== null
      ? [["percentage", change(percent(before.percentage), percent(flag.percentage))]]
      : [];
  fields.push(["split", split], ["enabled", change(String(before.enabled), String(flag.enabled))]);
  if (flag.bucketBy !== before.bucketBy) fields.push(["bucket by", change(before.bucketBy, flag.bucketBy)]);
  if ((flag.salt ?? flag.key) !== (before.salt ?? before.key)) {
    fields.push(["salt", change(before.salt ?? before.key, flag.salt ?? flag.key)]);
    print("  note: a new salt or bucketBy reshuffles which subjects are included");
  }
  fields.push(["routing", routing], ["version", change(before.version, flag.version)]);
  printFields(fields);
  if (before.percentage !== null && options.percentage !== undefined && options.percentage < before.percentage)
    print(
      `  lowering the percentage removes subjects that were included (positions ${formatPercentage(options.percentage)} to ${formatPercentage(before.percentage)})`,
    );
}

async function disable(key: string, _options: unknown, command: Command): Promise<void> {
  const api = apiOf(command);
  const current = await findFlag(api, key);
  if (current === undefined) throw new CliError(`flag "${key}" does not exist`);
  if (!current.enabled) {
    print(`No change: flag ${key} is already disabled (version ${current.version}); every subject gets "${current.offVariant}"`);
    return;
  }
  let updated: FlagRecord;
  try {
    const patch: FlagPatchInput = { version: current.version, enabled: false };
    updated = await api.send<FlagRecord>("PATCH", apiPath("flags", key), patch);
  } catch (error) {
    explainConflict(error, key, `disable ${key}`);
  }
  print(`Dark launch disabled for flag ${key}`);
  printFields([
    ["enabled", change(String(current.enabled), String(updated.enabled))],
    ["serves", `"${updated.offVariant}" to every subject (the kill switch; rules and rollout are kept)`],
    ["version", change(current.version, updated.version)],
  ]);
  print(`  to release to everyone instead: darklaunch enable ${key} --percentage 100`);
}

async function status(options: { json?: boolean; all?: boolean }, command: Command): Promise<void> {
  const api = apiOf(command);
  const { flags } = await api.get<FlagListResponse>(apiPath("flags"), {
    state: options.all ? "active" : "enabled",
  });
  const now = Date.now();
  const rows = flags.map((flag) => ({
    flag: flag.key,
    percentage: flag.percentage,
    enabled: flag.enabled,
    version: flag.version,
    updated: flag.updatedAt,
    stale: flag.expiresAt !== undefined && Date.parse(flag.expiresAt) <= now,
    expiresAt: flag.expiresAt ?? null,
  }));
  if (options.json) return printJson({ launches: rows });
  printTable(
    ["flag", "percentage", "enabled", "version", "updated", "stale"],
    rows.map((r) => [
      r.flag,
      percent(r.percentage),
      r.enabled ? "yes" : "no",
      r.version,
      shortTime(r.updated),
      r.stale ? `yes (expired ${shortTime(r.expiresAt)})` : "no",
    ]),
    options.all ? "no flags" : "no active dark launches (darklaunch status --all shows disabled flags too)",
  );
}

export function registerLaunchCommands(program: Command): void {
  program
    .command("enable")
    .description(
      "Create a flag rolled out to a percentage of subjects (or split between several variants), or change its percentage or split",
    )
    .argument("<flag>", "flag key, e.g. checkout-v2")
    .option("-p, --percentage <n>", "percentage of subjects included (0-100, two decimals); changes a two-way split only", parsePercentage)
    .option(
      "--split <shares>",
      "every variant's share in position order, summing to 100, e.g. stable=50,shadow=40,dark=10; a new flag gets these string variants, the first one served when disabled",
      parseSplit,
    )
    .option("--bucket-by <attr>", "context attribute that identifies the subject (default id)")
    .option("--salt <salt>", 'hash salt (default: the flag key; "" for plain md5(id))')
    .option("--variant <variant>", "the variant --percentage rolls out (default on, or the one already rolled out)")
    .action(enable);
  program
    .command("disable")
    .description("Switch a flag off: every subject gets its off variant")
    .argument("<flag>", "flag key")
    .action(disable);
  program
    .command("status")
    .description("Active dark launches: flag, percentage, enabled, version, updated, stale")
    .option("--all", "include disabled flags")
    .addOption(jsonOption())
    .action(status);
}
