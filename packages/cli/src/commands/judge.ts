import { type FlagJudgeSettingsResponse, isRecord, JUDGE_METRICS, overlayJudgeSettings } from "@darklaunch/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import { apiPath } from "../client.js";
import { CliError } from "../errors.js";
import { readDocument } from "../files.js";
import { apiOf, collect, jsonOption } from "../options.js";
import { print, printJson, printTable } from "../output.js";

/** A number option; the server checks its range and names the field when it is out of it. */
function parseNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new InvalidArgumentError(`must be a number, got ${JSON.stringify(text)}`);
  return value;
}

/** `--error-objective 1%` or `0.01`: a share; the server checks its range. */
function parseShare(text: string): number {
  const trimmed = text.trim();
  if (trimmed.endsWith("%")) return parseNumber(trimmed.slice(0, -1)) / 100;
  return parseNumber(trimmed);
}

/** `--critical errors,latencyP99` (empty: no critical metric); the last one given wins. */
const parseList = (text: string): string[] => collect(text);

/** `--tolerance errors=1.2`, repeatable. */
function collectNumbers(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`must be name=number such as errors=1.2, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, at).trim()]: parseNumber(value.slice(at + 1)) };
}

/** Every leaf of the effective settings with its value, as `path`/`value` rows. */
function leaves(value: unknown, prefix = ""): [string, unknown][] {
  if (!isRecord(value)) return [[prefix, value]];
  return Object.entries(value).flatMap(([key, inner]) => leaves(inner, prefix === "" ? key : `${prefix}.${key}`));
}

function describe(view: FlagJudgeSettingsResponse): void {
  const set = new Set(view.set);
  printTable(
    ["SETTING", "VALUE", "FROM"],
    leaves(view.settings).map(([path, value]) => [
      path,
      Array.isArray(value) ? value.join(",") || "(none)" : String(value),
      set.has(path) ? "flag" : "default",
    ]),
  );
  print();
  print(
    view.updatedAt === null
      ? `${view.flag}: every setting is a default`
      : `${view.flag}: ${view.set.length} set by ${view.updatedBy} at ${view.updatedAt}`,
  );
}

async function show(flag: string, options: { json?: boolean }, command: Command): Promise<void> {
  const view = await apiOf(command).get<FlagJudgeSettingsResponse>(apiPath("flags", flag, "judge"));
  if (options.json) return printJson(view);
  describe(view);
}

interface SetOptions {
  file?: string;
  replace?: boolean;
  alpha?: number;
  mode?: string;
  warmup?: number;
  minStep?: number;
  maxStep?: number;
  critical?: string[];
  criticalFields?: string[];
  tolerance?: Record<string, number>;
  health?: Record<string, number>;
  diagnosticsQ?: number;
  errorObjective?: number;
  json?: boolean;
}

async function set(flag: string, options: SetOptions, command: Command): Promise<void> {
  const api = apiOf(command);
  const given: Record<string, unknown> = {};
  if (options.alpha !== undefined) given.alpha = options.alpha;
  if (options.mode !== undefined) given.mode = options.mode;
  if (options.warmup !== undefined) given.warmupMinutes = options.warmup;
  if (options.minStep !== undefined) given.minStepMinutes = options.minStep;
  if (options.maxStep !== undefined) given.maxStepMinutes = options.maxStep;
  if (options.critical !== undefined) given.critical = options.critical;
  if (options.criticalFields !== undefined) given.criticalFields = options.criticalFields;
  if (options.tolerance !== undefined) given.tolerances = options.tolerance;
  if (options.health !== undefined) given.health = options.health;
  if (options.diagnosticsQ !== undefined) given.diagnosticsQ = options.diagnosticsQ;
  if (options.errorObjective !== undefined) given.errorRateObjective = options.errorObjective;
  let file: Record<string, unknown> = {};
  if (options.file !== undefined) {
    const document = readDocument(options.file);
    if (!isRecord(document)) throw new CliError(`${options.file} must hold an object of judge settings, such as {"alpha": 0.05}`);
    file = document;
  }
  if (options.file === undefined && Object.keys(given).length === 0) {
    throw new CliError("nothing to set: give --file or at least one setting (see darklaunch judge set --help)");
  }
  // Settings not given keep the flag's, unless --replace: then they return to their defaults.
  const current = options.replace ? {} : (await api.get<FlagJudgeSettingsResponse>(apiPath("flags", flag, "judge"))).stored;
  const view = await api.send<FlagJudgeSettingsResponse>(
    "PUT",
    apiPath("flags", flag, "judge"),
    overlayJudgeSettings(overlayJudgeSettings(current, file), given),
  );
  if (options.json) return printJson(view);
  print(`${flag}: judge settings set (${view.set.join(", ") || "none"}); the rest are defaults`);
}

async function reset(flag: string, options: { json?: boolean }, command: Command): Promise<void> {
  const view = await apiOf(command).send<FlagJudgeSettingsResponse>("DELETE", apiPath("flags", flag, "judge"));
  if (options.json) return printJson(view);
  print(`${flag}: every judge setting is a default again`);
}

/** `darklaunch judge show|set|reset`: a flag's judge settings. */
export function registerJudgeCommands(program: Command): void {
  const judge = program
    .command("judge")
    .description("A flag's judge settings: what analyze, the verdict endpoints, Prometheus and ramps judge it with");
  judge
    .command("show")
    .description("The flag's effective judge settings, and which ones the flag sets")
    .argument("<flag>", "flag key")
    .addOption(jsonOption())
    .action(show);
  judge
    .command("set")
    .description("Set some of the flag's judge settings; the others keep their values (--replace: return to the defaults)")
    .argument("<flag>", "flag key")
    .option("--file <path>", "settings as JSON or YAML (- for stdin); options given beside it win")
    .option("--alpha <n>", "family-wise error rate of the decision metrics (default 0.05)", parseNumber)
    .addOption(new Option("--mode <mode>", "how windows are judged (default auto)").choices(["auto", "shadow", "split"]))
    .option("--warmup <minutes>", "minutes after a step change shown but not tested (default 2)", parseNumber)
    .option("--min-step <minutes>", "minimum minutes per step (default 10)", parseNumber)
    .option("--max-step <minutes>", "maximum minutes per step (default 60)", parseNumber)
    .option(
      "--critical <list>",
      `critical metrics, comma-separated, of ${JUDGE_METRICS.join(", ")} (default errors,latencyP99; "" for none)`,
      parseList,
    )
    .option("--critical-fields <list>", "response fields whose mismatches are decision metrics, comma-separated", parseList)
    .option("--tolerance <name=ratio>", "a tolerance: errors, latencyTail, latencyPaired, mismatches or safe (repeatable)", collectNumbers)
    .option(
      "--health <name=value>",
      "a health setting: srmAlpha, srmFloor, maxMirrorLoss, minCoverage or gapMinutes (repeatable)",
      collectNumbers,
    )
    .option("--diagnostics-q <n>", "false-discovery rate of the per-route and per-field diagnostics (default 0.1)", parseNumber)
    .option(
      "--error-objective <share>",
      "error-rate objective for the dashboard's error budget burn, as 1% or 0.01 (never changes a verdict)",
      parseShare,
    )
    .option("--replace", "replace the flag's settings instead of changing some of them")
    .addOption(jsonOption())
    .action(set);
  judge
    .command("reset")
    .description("Return every judge setting of the flag to its default")
    .argument("<flag>", "flag key")
    .addOption(jsonOption())
    .action(reset);
}
