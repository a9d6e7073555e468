import {
  MAX_SAMPLE_LIMIT,
  type MismatchQuery,
  type MismatchReport,
  OBSERVATION_SOURCE_MESSAGE,
  OBSERVATION_SOURCES,
  type ObservationSeries,
  type ObservationSeriesQuery,
  type SideRates,
  StepParam,
  WHOLE_PERIOD_STEP,
} from "@darklaunch/core";
import { type Command, InvalidArgumentError } from "commander";
import { apiPath } from "../client.js";
import { apiOf, checkedBy, jsonOption, parseLimit, parseSince } from "../options.js";
import { type Cell, compact, print, printJson, printTable, shortTime } from "../output.js";

function parseSampleLimit(text: string): number {
  return parseLimit(text, MAX_SAMPLE_LIMIT);
}

function parseSource(text: string): string {
  if ((OBSERVATION_SOURCES as readonly string[]).includes(text)) return text;
  throw new InvalidArgumentError(`${OBSERVATION_SOURCE_MESSAGE}, got ${JSON.stringify(text)}`);
}

/** `--step`: whole minutes, at least one, as the server takes them (`5m`, `1h`, `1d`; not `30s` or `90s`). */
const parseStep = checkedBy(StepParam);

/** 0.1234 → "12.34%", null → "-". */
function rate(value: number | null): string {
  return value === null ? "-" : `${Number((value * 100).toFixed(2))}%`;
}

/** A number with at most `digits` decimals, null → "-". */
function num(value: number | null, digits = 1): string {
  return value === null ? "-" : String(Number(value.toFixed(digits)));
}

/** Dark as a multiple of baseline: `×1.25`, or "-" when baseline has nothing to compare with. */
function ratio(dark: number | null, baseline: number | null): string {
  if (dark === null || baseline === null || baseline === 0) return "-";
  return `×${(dark / baseline).toFixed(2)}`;
}

function signed(value: number, unit = ""): string {
  return `${value > 0 ? "+" : ""}${Number(value.toFixed(2))}${unit}`;
}

/** Rows of the dark-vs-baseline table: metric, baseline, dark, and how dark compares. */
function sideRows(baseline: SideRates, dark: SideRates): Cell[][] {
  const errorRateDelta =
    baseline.errorRate === null || dark.errorRate === null ? "-" : signed((dark.errorRate - baseline.errorRate) * 100, " pp");
  return [
    ["requests", baseline.requests, dark.requests, ratio(dark.requests, baseline.requests)],
    ["req/s", num(baseline.requestRate, 3), num(dark.requestRate, 3), ratio(dark.requestRate, baseline.requestRate)],
    ["errors", baseline.errors, dark.errors, signed(dark.errors - baseline.errors)],
    ["error rate", rate(baseline.errorRate), rate(dark.errorRate), errorRateDelta],
    ["p50 ms", num(baseline.p50), num(dark.p50), ratio(dark.p50, baseline.p50)],
    ["p95 ms", num(baseline.p95), num(dark.p95), ratio(dark.p95, baseline.p95)],
    ["p99 ms", num(baseline.p99), num(dark.p99), ratio(dark.p99, baseline.p99)],
  ];
}

function filterText(options: { source?: string; route?: string }): string {
  const parts = [
    options.source === undefined ? "" : `source ${options.source}`,
    options.route === undefined ? "" : `route ${options.route}`,
  ];
  const shown = parts.filter((p) => p !== "");
  return shown.length === 0 ? "" : ` (${shown.join(", ")})`;
}

interface ObserveOptions {
  since?: string;
  step?: string;
  source?: string;
  route?: string;
  json?: boolean;
}

async function observe(flag: string, options: ObserveOptions, command: Command): Promise<void> {
  const api = apiOf(command);
  const query: ObservationSeriesQuery = {
    since: options.since ?? "1h",
    // Without --step one step spans the whole period: the table shows totals.
    step: options.step ?? WHOLE_PERIOD_STEP,
    source: options.source as ObservationSeriesQuery["source"],
    route: options.route,
  };
  const result = await api.get<ObservationSeries>(apiPath("flags", flag, "observations"), { ...query });
  if (options.json) return printJson(result);
  const { baseline, dark, comparison } = result.totals;
  print(`observations of ${flag} from ${shortTime(result.since)} to ${shortTime(result.until)} UTC${filterText(options)}`);
  print();
  printTable(["", "baseline", "dark", "dark vs baseline"], sideRows(baseline, dark));
  print();
  print(
    comparison.total === 0
      ? "divergence: - (no comparisons)"
      : `divergence: ${rate(comparison.divergenceRate)} (${comparison.mismatched} of ${comparison.total} comparisons differ)`,
  );
  if (options.step === undefined) return;
  print();
  printTable(
    ["start", "baseline req/s", "dark req/s", "dark errors", "baseline p99", "dark p99", "divergence"],
    result.series.map((p) => [
      shortTime(p.start),
      num(p.baseline.requestRate, 3),
      num(p.dark.requestRate, 3),
      p.dark.errors,
      num(p.baseline.p99),
      num(p.dark.p99),
      rate(p.comparison.divergenceRate),
    ]),
  );
}

interface DiffOptions {
  since?: string;
  source?: string;
  route?: string;
  limit?: number;
  json?: boolean;
}

async function diff(flag: string, options: DiffOptions, command: Command): Promise<void> {
  const api = apiOf(command);
  const query: MismatchQuery = {
    since: options.since ?? "1h",
    source: options.source as MismatchQuery["source"],
    route: options.route,
    limit: options.limit ?? 5,
  };
  const result = await api.get<MismatchReport>(apiPath("flags", flag, "mismatches"), { ...query });
  if (options.json) return printJson(result);
  const { comparison } = result;
  print(
    `mismatches of ${flag} from ${shortTime(result.since)} to ${shortTime(result.until)} UTC${filterText(options)}: ` +
      `${comparison.mismatched} of ${comparison.total} comparisons differ (${rate(comparison.divergenceRate)})`,
  );
  print();
  printTable(
    ["field", "differences", "rate", "noise", "noise rate", "verdict"],
    result.fields.map((f) => [f.path, f.differences, rate(f.rate), f.noise, rate(f.noiseRate), f.significant ? "differs" : "noise"]),
    "no field differed",
  );
  if (result.samples.length === 0) return;
  print();
  print("samples, newest first:");
  for (const s of result.samples) {
    print();
    const request = [s.method, s.url].filter((part) => part !== undefined).join(" ");
    const status =
      s.baselineStatus === undefined && s.darkStatus === undefined ? "" : `  status ${s.baselineStatus ?? "-"} / ${s.darkStatus ?? "-"}`;
    print(`${shortTime(s.at)}  ${s.source} ${s.route}  ${request}${status}${s.requestId === undefined ? "" : `  id ${s.requestId}`}`);
    printTable(
      ["  path", "baseline", "dark"],
      s.differences.map((d) => [`  ${d.location}`, compact(d.baseline, 60), compact(d.dark, 60)]),
    );
  }
}

export function registerObservationCommands(program: Command): void {
  program
    .command("observe")
    .description("A dark launch's dark path against its baseline over a period: requests, errors, latency, divergence")
    .argument("<flag>", "the flag key")
    .option("--since <when>", "a duration such as 1h or 7d, or an ISO date (default 1h)", parseSince)
    .option("--step <duration>", "also print a time series in steps of this duration (whole minutes, e.g. 5m)", parseStep)
    .option("--source <source>", `only what this source reported: ${OBSERVATION_SOURCES.join(", ")}`, parseSource)
    .option("--route <route>", "only this route")
    .addOption(jsonOption())
    .action(observe);
  program
    .command("diff")
    .description("Which response fields differ between dark and baseline, how often, and samples of the differences")
    .argument("<flag>", "the flag key")
    .option("--since <when>", "a duration such as 1h or 7d, or an ISO date (default 1h)", parseSince)
    .option("--source <source>", `only what this source reported: ${OBSERVATION_SOURCES.join(", ")}`, parseSource)
    .option("--route <route>", "only this route")
    .option("--limit <n>", `at most this many samples (default 5, at most ${MAX_SAMPLE_LIMIT})`, parseSampleLimit)
    .addOption(jsonOption())
    .action(diff);
}
