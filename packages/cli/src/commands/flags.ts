import type { FlagListResponse, FlagRecord } from "@darklaunch/core";
import type { Command } from "commander";
import { stringify } from "yaml";
import { ApiError, apiPath } from "../client.js";
import { CliError } from "../errors.js";
import { readDocument } from "../files.js";
import { apiOf, jsonOption, parsePositiveInt } from "../options.js";
import { percent, print, printJson, printTable, shortTime } from "../output.js";
import { findFlag } from "./launch.js";

interface ListOptions {
  tag?: string;
  kind?: string;
  state?: string;
  stale?: boolean;
  json?: boolean;
}

async function list(options: ListOptions, command: Command): Promise<void> {
  const api = apiOf(command);
  const { flags } = await api.get<FlagListResponse>(apiPath("flags"), {
    tag: options.tag,
    kind: options.kind,
    state: options.state,
    stale: options.stale,
  });
  if (options.json) return printJson({ flags });
  printTable(
    ["key", "kind", "enabled", "percentage", "version", "tags", "updated", "description"],
    flags.map((f) => [
      f.archived ? `${f.key} (archived)` : f.key,
      f.kind,
      f.enabled ? "yes" : "no",
      percent(f.percentage),
      f.version,
      f.tags.join(","),
      shortTime(f.updatedAt),
      f.description,
    ]),
    "no flags",
  );
}

async function get(key: string, options: { json?: boolean }, command: Command): Promise<void> {
  const flag = await apiOf(command).get<FlagRecord>(apiPath("flags", key));
  if (options.json) return printJson(flag);
  process.stdout.write(stringify(flag));
}

/** `flags create -f FILE`: one flag, a list of flags, or `{ flags: [...] }`. */
async function create(options: { file: string }, command: Command): Promise<void> {
  const document = readDocument(options.file);
  const flags = Array.isArray(document) ? document : isObject(document) && Array.isArray(document.flags) ? document.flags : [document];
  if (flags.length === 0 || !flags.every(isObject))
    throw new CliError(`${options.file} holds no flag (expected a flag object, a list of them, or { flags: [...] })`);
  const api = apiOf(command);
  for (const input of flags) {
    const created = await api.send<FlagRecord>("POST", apiPath("flags"), input);
    print(
      `created flag ${created.key} (version ${created.version}, ${created.enabled ? "enabled" : "disabled"}, rollout ${percent(created.percentage)})`,
    );
  }
}

async function remove(key: string, options: { ifVersion?: number }, command: Command): Promise<void> {
  const api = apiOf(command);
  try {
    await api.request("DELETE", apiPath("flags", key), { query: { version: options.ifVersion } });
  } catch (error) {
    if (error instanceof ApiError && error.code === "VERSION_CONFLICT")
      throw new CliError(`flag "${key}" was not deleted: ${error.message}`);
    throw error;
  }
  print(`deleted flag ${key} and its overrides`);
}

async function setArchived(key: string, archived: boolean, command: Command): Promise<void> {
  const api = apiOf(command);
  const current = await findFlag(api, key);
  if (current === undefined) throw new CliError(`flag "${key}" does not exist`);
  const updated = await api.send<FlagRecord>("POST", apiPath("flags", key, archived ? "archive" : "unarchive"), {
    version: current.version,
  });
  print(`${archived ? "archived" : "unarchived"} flag ${key} (version ${updated.version})`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function registerFlagCommands(program: Command): void {
  const flags = program.command("flags").description("List, show, create, archive and delete flags");
  flags
    .command("list")
    .description("List flags")
    .option("--tag <tag>", "only flags with this tag")
    .option("--kind <kind>", "release, ops, experiment or permission")
    .option("--state <state>", "active (default), enabled, disabled, archived or all")
    .option("--stale", "only flags past their expiresAt")
    .addOption(jsonOption())
    .action(list);
  flags
    .command("get")
    .description("Show a flag (YAML, or JSON with --json)")
    .argument("<flag>", "flag key")
    .addOption(jsonOption())
    .action(get);
  flags
    .command("create")
    .description("Create flags from a YAML or JSON file")
    .requiredOption("-f, --file <file>", "YAML or JSON file with a flag, a list of flags or { flags: [...] } (- for stdin)")
    .action(create);
  flags
    .command("delete")
    .description("Delete a flag and its overrides (its audit history stays)")
    .argument("<flag>", "flag key")
    .option("--if-version <n>", "only if the flag is still at this version", parsePositiveInt)
    .action(remove);
  flags
    .command("archive")
    .description("Archive a flag: it stops being served but keeps its definition")
    .argument("<flag>", "flag key")
    .action((key: string, _o: unknown, command: Command) => setArchived(key, true, command));
  flags
    .command("unarchive")
    .description("Bring an archived flag back")
    .argument("<flag>", "flag key")
    .action((key: string, _o: unknown, command: Command) => setArchived(key, false, command));
}
