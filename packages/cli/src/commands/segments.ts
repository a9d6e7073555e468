import {
  MAX_IDS_PAGE,
  MAX_IDS_PER_CALL,
  type SegmentIdsChange,
  type SegmentIdsChanged,
  type SegmentIdsPage,
  type SegmentListResponse,
  type SegmentRecord,
} from "@darklaunch/core";
import type { Command } from "commander";
import { type ApiClient, apiPath } from "../client.js";
import { CliError } from "../errors.js";
import { readDocument } from "../files.js";
import { apiOf, chunks, collect, jsonOption, readIdsFile, subjectsOf } from "../options.js";
import { print, printJson, printTable, shortTime } from "../output.js";

/** All ids of a segment, page by page. */
export async function segmentIds(api: ApiClient, key: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.get<SegmentIdsPage>(apiPath("segments", key, "ids"), { cursor, limit: MAX_IDS_PAGE });
    ids.push(...page.ids);
    if (page.nextCursor === null || page.ids.length === 0) return ids;
    cursor = page.nextCursor;
  }
}

/** Adds or removes ids in calls of at most 100 000; returns the totals and the last state. */
export async function changeIds(
  api: ApiClient,
  key: string,
  verb: "add" | "remove",
  ids: string[],
  version?: number,
): Promise<SegmentIdsChanged> {
  let total: SegmentIdsChanged = { added: 0, removed: 0, idCount: 0, version: version ?? 0 };
  let expected = version;
  for (const batch of chunks(ids, MAX_IDS_PER_CALL)) {
    const change: SegmentIdsChange = { [verb]: batch, version: expected };
    const result = await api.send<SegmentIdsChanged>("POST", apiPath("segments", key, "ids"), change);
    total = {
      added: total.added + result.added,
      removed: total.removed + result.removed,
      idCount: result.idCount,
      version: result.version,
    };
    if (expected !== undefined) expected = result.version;
  }
  return total;
}

interface CreateOptions {
  description?: string;
  id?: string[];
  idsFile?: string;
  conditionsFile?: string;
}

async function create(key: string, options: CreateOptions, command: Command): Promise<void> {
  const api = apiOf(command);
  const ids = [...(options.id ?? []), ...(options.idsFile === undefined ? [] : readIdsFile(options.idsFile))];
  const conditions = options.conditionsFile === undefined ? [] : readDocument(options.conditionsFile);
  if (!Array.isArray(conditions)) throw new CliError(`${options.conditionsFile} must hold a list of conditions`);
  const unique = [...new Set(ids)];
  // The first 100 000 ids go with the create; the rest follow in batches.
  const created = await api.send<SegmentRecord>("POST", apiPath("segments"), {
    key,
    description: options.description ?? "",
    conditions,
    ids: unique.slice(0, MAX_IDS_PER_CALL),
  });
  let idCount = created.idCount ?? unique.length;
  let version = created.version;
  if (unique.length > MAX_IDS_PER_CALL) {
    const rest = await changeIds(api, key, "add", unique.slice(MAX_IDS_PER_CALL), created.version);
    idCount = rest.idCount;
    version = rest.version;
  }
  print(
    `created segment ${key} with ${idCount} id${idCount === 1 ? "" : "s"} and ${conditions.length} condition${conditions.length === 1 ? "" : "s"} (version ${version})`,
  );
}

async function changeCommand(
  verb: "add" | "remove",
  key: string,
  options: { id?: string[]; idsFile?: string },
  command: Command,
): Promise<void> {
  const ids = subjectsOf(options, "id");
  const result = await changeIds(apiOf(command), key, verb, ids);
  const done = verb === "add" ? `added ${result.added}` : `removed ${result.removed}`;
  const skipped = ids.length - (verb === "add" ? result.added : result.removed);
  print(
    `${done} id${(verb === "add" ? result.added : result.removed) === 1 ? "" : "s"} ${verb === "add" ? "to" : "from"} segment ${key}` +
      `${skipped > 0 ? ` (${skipped} ${verb === "add" ? "already in it" : "not in it"})` : ""}; it now holds ${result.idCount} (version ${result.version})`,
  );
}

async function list(options: { json?: boolean }, command: Command): Promise<void> {
  const { segments } = await apiOf(command).get<SegmentListResponse>(apiPath("segments"));
  if (options.json) return printJson({ segments });
  printTable(
    ["key", "ids", "conditions", "version", "updated", "description"],
    segments.map((s) => [s.key, s.idCount, s.conditions.length, s.version, shortTime(s.updatedAt), s.description]),
    "no segments",
  );
}

async function showIds(key: string, options: { json?: boolean }, command: Command): Promise<void> {
  const ids = await segmentIds(apiOf(command), key);
  if (options.json) return printJson({ key, ids });
  for (const id of ids) print(id);
}

async function remove(key: string, _options: unknown, command: Command): Promise<void> {
  await apiOf(command).request("DELETE", apiPath("segments", key));
  print(`deleted segment ${key} and its ids`);
}

export function registerSegmentCommands(program: Command): void {
  const segments = program.command("segments").description("Reusable groups of subjects: id lists plus conditions");
  segments
    .command("create")
    .description("Create a segment")
    .argument("<segment>", "segment key, e.g. beta-testers")
    .option("--description <text>", "what the segment is for")
    .option("--id <id>", "an id to put in it (repeatable, or comma-separated)", collect)
    .option("--ids-file <file>", "a file with one id per line (- for stdin)")
    .option("--conditions-file <file>", "a YAML or JSON file with a list of conditions")
    .action(create);
  for (const verb of ["add", "remove"] as const) {
    segments
      .command(verb)
      .description(verb === "add" ? "Add ids to a segment" : "Remove ids from a segment")
      .argument("<segment>", "segment key")
      .option("--id <id>", "an id (repeatable, or comma-separated)", collect)
      .option("--ids-file <file>", "a file with one id per line (- for stdin)")
      .action((key: string, options: { id?: string[]; idsFile?: string }, command: Command) => changeCommand(verb, key, options, command));
  }
  segments.command("list").description("List segments").addOption(jsonOption()).action(list);
  segments
    .command("ids")
    .description("Print a segment's ids, one per line")
    .argument("<segment>", "segment key")
    .addOption(jsonOption())
    .action(showIds);
  segments
    .command("delete")
    .description("Delete a segment (refused while a flag uses it)")
    .argument("<segment>", "segment key")
    .action(remove);
}
