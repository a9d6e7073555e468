import { type Flag, formatPercentage, rolloutOf, routingFormula, withRollout } from "@darklaunch/core";
import type { Command } from "commander";
import type { FlagView } from "../api-types.js";
import { type ApiClient, ApiError, apiPath } from "../client.js";
import { CliError, UsageError } from "../errors.js";
import { apiOf, jsonOption, parsePercentage } from "../options.js";
import { change, percent, print, printFields, printJson, printTable, shortTime } from "../output.js";

interface EnableOptions {
  percentage: number;
  bucketBy?: string;
  salt?: string;
  variant?: string;
}

/** Looks a flag up; undefined when it does not exist. */
export async function findFlag(api: ApiClient, key: string): Promise<FlagView | undefined> {
  const response = await api.request<FlagView>("GET", apiPath("flags", key), { allow: [404] });
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
export function flagBody(view: FlagView): Flag {
  const { archived: _a, createdAt: _c, updatedAt: _u, percentage: _p, ...flag } = view;
  return flag;
}

function newReleaseFlag(key: string, options: EnableOptions): Flag {
  const on = options.variant ?? "on";
  if (on === "off") throw new UsageError(`--variant cannot be "off": that is the variant every excluded subject gets`);
  const base: Flag = {
    key,
    description: "",
    owner: "",
    kind: "release",
    variants: { [on]: true, off: false },
    offVariant: "off",
    enabled: true,
    rules: [],
    fallthrough: { variant: "off" },
    prerequisites: [],
    bucketBy: options.bucketBy ?? "id",
    tags: [],
    version: 1,
    ...(options.salt === undefined ? {} : { salt: options.salt }),
  };
  return withRollout(base, options.percentage, on);
}

async function enable(key: string, options: EnableOptions, command: Command): Promise<void> {
  const api = apiOf(command);
  const current = await findFlag(api, key);
  if (current === undefined) {
    const flag = newReleaseFlag(key, options);
    let created: FlagView;
    try {
      created = await api.send<FlagView>("POST", apiPath("flags"), flag);
    } catch (error) {
      if (error instanceof ApiError && error.code === "ALREADY_EXISTS") {
        throw new CliError(`flag "${key}" was created by someone else while this command ran; run the command again to update it`);
      }
      throw error;
    }
    print(`Dark launch created for flag ${key} (release flag, variants ${Object.keys(flag.variants).join("/")})`);
    printFields([
      ["percentage", percent(created.percentage)],
      ["enabled", String(created.enabled)],
      ["bucket by", created.bucketBy],
      ["salt", created.salt ?? `${created.key} (the flag key)`],
      ["routing", routingFormula(created, options.percentage)],
      ["version", created.version],
    ]);
    return;
  }
  if (current.archived) throw new CliError(`flag "${key}" is archived; unarchive it first: darklaunch flags unarchive ${key}`);
  const before = rolloutOf(current)?.percentage ?? null;
  const needsPut =
    (options.bucketBy !== undefined && options.bucketBy !== current.bucketBy) ||
    (options.salt !== undefined && options.salt !== (current.salt ?? current.key));
  const sameVariant = options.variant === undefined || rolloutOf(current)?.variants.join() === options.variant;
  if (!needsPut && current.enabled && before === options.percentage && sameVariant) {
    print(`No change: flag ${key} is already enabled at ${formatPercentage(options.percentage)}% (version ${current.version})`);
    printFields([["routing", routingFormula(current, options.percentage)]]);
    return;
  }
  let updated: FlagView;
  try {
    if (needsPut) {
      // bucketBy and salt are not patchable: replace the whole flag, at the version read.
      let next: Flag = { ...flagBody(current), enabled: true };
      if (options.bucketBy !== undefined) next.bucketBy = options.bucketBy;
      if (options.salt !== undefined) next.salt = options.salt;
      next = withRollout(next, options.percentage, options.variant);
      updated = await api.send<FlagView>("PUT", apiPath("flags", key), { ...next, version: current.version });
    } else {
      updated = await api.send<FlagView>("PATCH", apiPath("flags", key), {
        version: current.version,
        enabled: true,
        percentage: options.percentage,
        ...(options.variant === undefined ? {} : { variant: options.variant }),
      });
    }
  } catch (error) {
    explainConflict(error, key, `enable ${key} --percentage ${formatPercentage(options.percentage)}`);
  }
  print(`Dark launch updated for flag ${key}`);
  const fields: [string, string][] = [
    ["percentage", change(percent(before), percent(updated.percentage))],
    ["enabled", change(String(current.enabled), String(updated.enabled))],
  ];
  if (updated.bucketBy !== current.bucketBy) fields.push(["bucket by", change(current.bucketBy, updated.bucketBy)]);
  if ((updated.salt ?? updated.key) !== (current.salt ?? current.key)) {
    fields.push(["salt", change(current.salt ?? current.key, updated.salt ?? updated.key)]);
    print("  note: a new salt or bucketBy reshuffles which subjects are included");
  }
  fields.push(["routing", routingFormula(updated, options.percentage)], ["version", change(current.version, updated.version)]);
  printFields(fields);
  if (before !== null && options.percentage < before)
    print(
      `  lowering the percentage removes subjects that were included (positions ${formatPercentage(options.percentage)} to ${formatPercentage(before)})`,
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
  let updated: FlagView;
  try {
    updated = await api.send<FlagView>("PATCH", apiPath("flags", key), { version: current.version, enabled: false });
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
  const { flags } = await api.get<{ flags: (FlagView & { stale?: boolean })[] }>(apiPath("flags"), {
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
    .description("Create a release flag rolled out to a percentage of subjects, or change its percentage")
    .argument("<flag>", "flag key, e.g. checkout-v2")
    .requiredOption("-p, --percentage <n>", "percentage of subjects included (0-100, two decimals)", parsePercentage)
    .option("--bucket-by <attr>", "context attribute that identifies the subject (default id)")
    .option("--salt <salt>", 'hash salt (default: the flag key; "" for plain md5(id))')
    .option("--variant <variant>", "the variant rolled out (default on)")
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
