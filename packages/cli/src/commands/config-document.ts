import {
  type Flag,
  type FlagListResponse,
  type FlagRecord,
  type Override,
  type OverrideListResponse,
  type OverrideRecord,
  type Segment,
  type SegmentListResponse,
  type SegmentRecord,
  validateFlag,
  validateOverride,
  validateSegment,
} from "@darklaunch/core";
import { type ApiClient, apiPath } from "../client.js";
import { CliError } from "../errors.js";
import { flagBody } from "./launch.js";
import { segmentIds } from "./segments.js";

/** A flag in a config file: the flag, whether it is archived, and the version the file was written from. */
export interface DesiredFlag {
  flag: Flag;
  archived: boolean;
  /** The version the file expects on the server; undefined: whatever is there. */
  version: number | undefined;
}

export interface DesiredSegment {
  segment: Segment;
  version: number | undefined;
}

/** What `darklaunch export` writes and `darklaunch apply` reads. */
export interface ConfigDocument {
  flags: DesiredFlag[];
  segments: DesiredSegment[];
  overrides: Override[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates a whole config file with the core schemas before anything is sent, so a bad file
 * changes nothing; every problem is reported with its path (`flags[2].fallthrough.split`).
 */
export function parseConfigDocument(input: unknown, file: string): ConfigDocument {
  if (input === null || input === undefined) return { flags: [], segments: [], overrides: [] };
  if (!isRecord(input)) throw new CliError(`${file} must hold an object with flags, segments and overrides lists`);
  const problems: { path: string; message: string }[] = [];
  const prefixed = (prefix: string, list: { path: string; message: string }[]) =>
    problems.push(...list.map((p) => ({ path: p.path === "" ? prefix : `${prefix}.${p.path}`, message: p.message })));
  const listOf = (name: string): unknown[] => {
    const value = input[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      problems.push({ path: name, message: "must be a list" });
      return [];
    }
    return value;
  };
  for (const name of Object.keys(input)) {
    if (!["flags", "segments", "overrides"].includes(name))
      problems.push({ path: name, message: "unknown section (expected flags, segments, overrides)" });
  }
  const flags: DesiredFlag[] = [];
  for (const [i, raw] of listOf("flags").entries()) {
    if (!isRecord(raw)) {
      problems.push({ path: `flags[${i}]`, message: "must be a flag object" });
      continue;
    }
    const { archived, ...rest } = raw;
    if (archived !== undefined && typeof archived !== "boolean")
      problems.push({ path: `flags[${i}].archived`, message: "must be true or false" });
    const checked = validateFlag(rest);
    if (checked.ok)
      flags.push({
        flag: checked.value,
        archived: archived === true,
        version: typeof rest.version === "number" ? rest.version : undefined,
      });
    else prefixed(`flags[${i}]`, checked.problems);
  }
  const segments: DesiredSegment[] = [];
  for (const [i, raw] of listOf("segments").entries()) {
    const checked = validateSegment(raw);
    if (checked.ok)
      segments.push({ segment: checked.value, version: isRecord(raw) && typeof raw.version === "number" ? raw.version : undefined });
    else prefixed(`segments[${i}]`, checked.problems);
  }
  const overrides: Override[] = [];
  for (const [i, raw] of listOf("overrides").entries()) {
    const checked = validateOverride(raw);
    if (checked.ok) overrides.push(checked.value);
    else prefixed(`overrides[${i}]`, checked.problems);
  }
  const seen = new Set<string>();
  for (const [kind, keys] of [
    ["flag", flags.map((f) => f.flag.key)],
    ["segment", segments.map((s) => s.segment.key)],
    ["override", overrides.map((o) => `${o.flag}/${o.subject}`)],
  ] as const) {
    for (const key of keys) {
      if (seen.has(`${kind}:${key}`)) problems.push({ path: `${kind}s`, message: `${kind} "${key}" appears twice` });
      seen.add(`${kind}:${key}`);
    }
  }
  if (problems.length > 0) throw new CliError(`${file} is invalid; nothing was applied`, 1, problems);
  return { flags, segments, overrides };
}

/** The server's current configuration, in the shape of a config file (segments with their ids). */
export interface ServerState {
  flags: Map<string, FlagRecord>;
  segments: Map<string, SegmentRecord & { ids: string[] }>;
  overrides: Map<string, OverrideRecord>;
}

/** Reads everything from the server; overrides only of `overrideFlags` when given. */
export async function readServerState(api: ApiClient, overrideFlags?: Iterable<string>): Promise<ServerState> {
  const { flags } = await api.get<FlagListResponse>(apiPath("flags"), { state: "all" });
  const { segments } = await api.get<SegmentListResponse>(apiPath("segments"));
  const state: ServerState = { flags: new Map(), segments: new Map(), overrides: new Map() };
  for (const flag of flags) state.flags.set(flag.key, flag);
  for (const segment of segments) state.segments.set(segment.key, { ...segment, ids: await segmentIds(api, segment.key) });
  const wanted = overrideFlags === undefined ? [...state.flags.keys()] : [...new Set(overrideFlags)].filter((key) => state.flags.has(key));
  for (const key of wanted) {
    const { overrides } = await api.get<OverrideListResponse>(apiPath("flags", key, "overrides"));
    for (const override of overrides) state.overrides.set(`${override.flag}/${override.subject}`, override);
  }
  return state;
}

/** The export document: plain data, flags with their version so `apply` can detect later edits. */
export function toExportDocument(state: ServerState): Record<string, unknown> {
  return {
    flags: [...state.flags.values()].map((view) => ({ ...flagBody(view), ...(view.archived ? { archived: true } : {}) })),
    segments: [...state.segments.values()].map((s) => ({
      key: s.key,
      description: s.description,
      conditions: s.conditions,
      ids: [...s.ids].sort(),
      version: s.version,
    })),
    overrides: [...state.overrides.values()].map((o) => ({
      flag: o.flag,
      subject: o.subject,
      ...(o.variant === null ? {} : { variant: o.variant }),
      source: o.source,
    })),
  };
}
