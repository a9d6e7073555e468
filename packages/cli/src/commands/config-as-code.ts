import { type Flag, type FlagRecord, type OverrideRequest, rolloutOf, type SegmentRecord } from "@darklaunch/core";
import type { Command } from "commander";
import { stringify } from "yaml";
import { type ApiClient, ApiError, apiPath } from "../client.js";
import { CliError } from "../errors.js";
import { readDocument } from "../files.js";
import { apiOf } from "../options.js";
import { compact, isServe, print } from "../output.js";
import {
  type ConfigDocument,
  type DesiredFlag,
  parseConfigDocument,
  readServerState,
  type ServerState,
  toExportDocument,
} from "./config-document.js";
import { flagBody } from "./launch.js";
import { changeIds } from "./segments.js";

/** JSON with object keys sorted, so two equal values always compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** `field: before → after` for every top-level field that differs; a rollout's fallthrough as its percentage. */
function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .sort()
    .filter((field) => canonical(before[field]) !== canonical(after[field]))
    .map((field) => {
      if (field === "fallthrough" && isServe(before[field]) && isServe(after[field])) {
        const from = rolloutOf(before as Pick<Flag, "fallthrough" | "offVariant">);
        const to = rolloutOf(after as Pick<Flag, "fallthrough" | "offVariant">);
        if (from !== undefined && to !== undefined) return `percentage: ${from.percentage}% → ${to.percentage}% (fallthrough)`;
      }
      return `${field}: ${compact(before[field])} → ${compact(after[field])}`;
    });
}

function withoutVersion(flag: Flag): Record<string, unknown> {
  const { version: _v, ...rest } = flag;
  return rest;
}

type Step = { label: string; run: () => Promise<void> };

interface Plan {
  lines: string[];
  conflicts: string[];
  steps: Step[];
  created: number;
  changed: number;
  unchanged: number;
}

/** Prerequisites first, so a new flag can require another new flag of the same file. */
function byPrerequisites(flags: DesiredFlag[]): DesiredFlag[] {
  const byKey = new Map(flags.map((f) => [f.flag.key, f]));
  const ordered: DesiredFlag[] = [];
  const visiting = new Set<string>();
  const visit = (entry: DesiredFlag) => {
    if (ordered.includes(entry) || visiting.has(entry.flag.key)) return;
    visiting.add(entry.flag.key);
    for (const pre of entry.flag.prerequisites) {
      const dependency = byKey.get(pre.flag);
      if (dependency) visit(dependency);
    }
    ordered.push(entry);
  };
  flags.forEach(visit);
  return ordered;
}

function conflictMessage(kind: string, key: string, fileVersion: number, serverVersion: number): string {
  return (
    `${kind} "${key}" is at version ${serverVersion} on the server but the file was written from version ${fileVersion}: ` +
    `someone changed it since (see darklaunch audit --${kind} ${key}). Export again and redo your edit, or remove its version from the file to overwrite their change`
  );
}

/** Compares the file with the server: what to create, what to change (field by field), what is the same. */
function plan(api: ApiClient, desired: ConfigDocument, state: ServerState): Plan {
  const result: Plan = { lines: [], conflicts: [], steps: [], created: 0, changed: 0, unchanged: 0 };
  const line = (text: string) => result.lines.push(text);

  for (const { segment, version } of desired.segments) {
    const current = state.segments.get(segment.key);
    if (current === undefined) {
      result.created++;
      line(`segment ${segment.key}: create (${segment.ids.length} ids, ${segment.conditions.length} conditions)`);
      result.steps.push({
        label: `create segment ${segment.key}`,
        run: () => api.send("POST", apiPath("segments"), segment).then(() => undefined),
      });
      continue;
    }
    const changes = fieldChanges(
      { description: current.description, conditions: current.conditions },
      { description: segment.description, conditions: segment.conditions },
    );
    const have = new Set(current.ids);
    const want = new Set(segment.ids);
    const add = segment.ids.filter((id) => !have.has(id));
    const remove = current.ids.filter((id) => !want.has(id));
    if (changes.length === 0 && add.length === 0 && remove.length === 0) {
      result.unchanged++;
      line(`segment ${segment.key}: unchanged`);
      continue;
    }
    if (version !== undefined && version !== current.version)
      result.conflicts.push(conflictMessage("segment", segment.key, version, current.version));
    result.changed++;
    line(`segment ${segment.key}: change`);
    for (const change of changes) line(`    ${change}`);
    if (add.length > 0 || remove.length > 0)
      line(`    ids: +${add.length} -${remove.length} (${current.ids.length} → ${segment.ids.length})`);
    let expected = version ?? current.version;
    result.steps.push({
      label: `change segment ${segment.key}`,
      run: async () => {
        if (changes.length > 0) {
          const updated = await api.send<SegmentRecord>(
            "PUT",
            apiPath("segments", segment.key),
            { description: segment.description, conditions: segment.conditions },
            expected,
          );
          expected = updated.version;
        }
        if (add.length > 0) expected = (await changeIds(api, segment.key, "add", add, expected)).version;
        if (remove.length > 0) await changeIds(api, segment.key, "remove", remove, expected);
      },
    });
  }

  for (const entry of byPrerequisites(desired.flags)) {
    const { flag, archived, version } = entry;
    const current = state.flags.get(flag.key);
    if (current === undefined) {
      result.created++;
      line(`flag ${flag.key}: create${archived ? " (archived)" : ""}`);
      result.steps.push({
        label: `create flag ${flag.key}`,
        run: async () => {
          const created = await api.send<FlagRecord>("POST", apiPath("flags"), flag);
          if (archived) await api.send("POST", apiPath("flags", flag.key, "archive"), { version: created.version });
        },
      });
      continue;
    }
    const changes = fieldChanges(
      { ...withoutVersion(flagBody(current)), archived: current.archived },
      { ...withoutVersion(flag), archived },
    );
    if (changes.length === 0) {
      result.unchanged++;
      line(`flag ${flag.key}: unchanged`);
      continue;
    }
    if (version !== undefined && version !== current.version)
      result.conflicts.push(conflictMessage("flag", flag.key, version, current.version));
    result.changed++;
    line(`flag ${flag.key}: change (version ${current.version})`);
    for (const change of changes) line(`    ${change}`);
    const definitionChanged = canonical(withoutVersion(flagBody(current))) !== canonical(withoutVersion(flag));
    result.steps.push({
      label: `change flag ${flag.key}`,
      run: async () => {
        let expected = version ?? current.version;
        // An archived flag is brought back before it changes, and archived after.
        if (current.archived && !archived)
          expected = (await api.send<FlagRecord>("POST", apiPath("flags", flag.key, "unarchive"), { version: expected })).version;
        if (definitionChanged)
          expected = (await api.send<FlagRecord>("PUT", apiPath("flags", flag.key), { ...flag, version: expected })).version;
        if (!current.archived && archived) await api.send("POST", apiPath("flags", flag.key, "archive"), { version: expected });
      },
    });
  }

  for (const override of desired.overrides) {
    const id = `${override.flag}/${override.subject}`;
    const current = state.overrides.get(id);
    const same = current !== undefined && current.source === override.source && (current.variant ?? undefined) === override.variant;
    if (same) {
      result.unchanged++;
      line(`override ${id}: unchanged`);
      continue;
    }
    if (current === undefined) {
      result.created++;
      line(`override ${id}: create (${override.source}${override.variant ? ` ${override.variant}` : ""})`);
    } else {
      result.changed++;
      line(`override ${id}: change (${current.source} ${current.variant ?? "-"} → ${override.source} ${override.variant ?? "-"})`);
    }
    const body: OverrideRequest =
      override.variant === undefined ? { source: override.source } : { source: override.source, variant: override.variant };
    result.steps.push({
      label: `set override ${id}`,
      run: () => api.send("PUT", apiPath("flags", override.flag, "overrides", override.subject), body).then(() => undefined),
    });
  }
  return result;
}

async function apply(options: { file: string; dryRun?: boolean }, command: Command): Promise<void> {
  const desired = parseConfigDocument(readDocument(options.file), options.file);
  const api = apiOf(command);
  const state = await readServerState(
    api,
    desired.overrides.map((o) => o.flag),
  );
  const result = plan(api, desired, state);
  for (const text of result.lines) print(text);
  print(`plan: ${result.created} to create, ${result.changed} to change, ${result.unchanged} unchanged`);
  if (result.conflicts.length > 0) {
    throw new CliError(
      `${result.conflicts.length} conflict${result.conflicts.length === 1 ? "" : "s"}; nothing was applied`,
      1,
      result.conflicts.map((message) => ({ path: "conflict", message })),
    );
  }
  if (options.dryRun) {
    print("dry run: nothing was written");
    return;
  }
  let done = 0;
  for (const step of result.steps) {
    try {
      await step.run();
    } catch (error) {
      const what = error instanceof ApiError && error.code === "VERSION_CONFLICT" ? `conflict: ${error.message}` : (error as Error).message;
      throw new CliError(
        `${step.label} failed: ${what}`,
        1,
        error instanceof CliError ? error.details : [],
        `${done} of ${result.steps.length} changes were applied before the failure; fix the cause and run apply again (it only sends what still differs)`,
      );
    }
    done++;
  }
  if (result.steps.length === 0) {
    print("nothing to apply: the server already matches the file");
    return;
  }
  print(`applied ${done} change${done === 1 ? "" : "s"}`);
  print(`the versions in ${options.file} are now behind the server: run \`darklaunch export\` again before the next edit`);
}

async function exportConfig(_options: unknown, command: Command): Promise<void> {
  const api = apiOf(command);
  const state = await readServerState(api);
  process.stdout.write(
    `# darklaunch export of ${api.baseUrl} at ${new Date().toISOString()}\n# apply with: darklaunch apply -f FILE [--dry-run]\n`,
  );
  process.stdout.write(stringify(toExportDocument(state)));
}

export function registerConfigCommands(program: Command): void {
  program.command("export").description("Print flags, segments (with their ids) and overrides as YAML, for apply").action(exportConfig);
  program
    .command("apply")
    .description("Make the server match a YAML or JSON file: shows a diff, then applies it with version checks")
    .requiredOption("-f, --file <file>", "the file (as written by export; - for stdin)")
    .option("--dry-run", "show the diff only")
    .action(apply);
}
