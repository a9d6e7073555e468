import {
  METRIC_DIRECTIONS,
  METRIC_KIND_HELP,
  METRIC_KINDS,
  type MetricDefinition,
  type MetricListResponse,
  type MetricRequest,
} from "@darklaunch/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import { apiPath } from "../client.js";
import { apiOf, jsonOption } from "../options.js";
import { print, printJson, printTable } from "../output.js";

/**
 * A tolerance as people write it: `-2%` or `2%` (dark may be 2 % worse) or a fraction `0.02`.
 * The sign only says "worse"; which way is worse is the metric's direction.
 */
export function parseTolerance(text: string): number {
  const match = /^[-+]?(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = match === null ? Number.NaN : Number(match[1]) / (match[2] === "%" ? 100 : 1);
  if (!Number.isFinite(value) || value > 1) {
    throw new InvalidArgumentError(`must be how much worse dark may be, as -2% or 0.02 (at most 100%), got ${JSON.stringify(text)}`);
  }
  return value;
}

function describe(m: MetricDefinition): string {
  return `${m.key} on flag ${m.flagKey}: ${m.kind} of "${m.event}", ${m.direction === "up" ? "higher" : "lower"} is better, may be ${formatTolerance(m.tolerance)} worse, ${m.critical ? "critical (may roll back)" : "watched"}`;
}

function formatTolerance(tolerance: number): string {
  return `${Number((tolerance * 100).toFixed(4))}%`;
}

interface AddOptions {
  event: string;
  kind: MetricRequest["kind"];
  direction: MetricRequest["direction"];
  tolerance?: number;
  critical?: boolean;
  name?: string;
  json?: boolean;
}

async function add(flag: string, options: AddOptions, command: Command): Promise<void> {
  const body: MetricRequest = {
    event: options.event,
    kind: options.kind,
    direction: options.direction,
    tolerance: options.tolerance ?? 0,
    critical: options.critical === true,
    ...(options.name === undefined ? {} : { key: options.name }),
  };
  const metric = await apiOf(command).send<MetricDefinition>("POST", apiPath("flags", flag, "metrics"), body);
  if (options.json) return printJson(metric);
  print(describe(metric));
}

async function list(flag: string, options: { json?: boolean }, command: Command): Promise<void> {
  const { metrics } = await apiOf(command).get<MetricListResponse>(apiPath("flags", flag, "metrics"));
  if (options.json) return printJson({ metrics });
  printTable(
    ["metric", "event", "kind", "direction", "tolerance", "critical"],
    metrics.map((m) => [m.key, m.event, m.kind, m.direction, formatTolerance(m.tolerance), m.critical ? "yes" : "watched"]),
    `flag ${flag} has no business metrics`,
  );
}

async function remove(flag: string, metric: string, _options: unknown, command: Command): Promise<void> {
  await apiOf(command).send("DELETE", apiPath("flags", flag, "metrics", metric));
  print(`removed metric ${metric} of flag ${flag}`);
}

/** `darklaunch metrics add|list|remove`: the business metrics the judge watches for a flag. */
export function registerMetricCommands(program: Command): void {
  const metrics = program
    .command("metrics")
    .description("Business metrics of a flag (conversion, count, value of a tracked event) the judge watches");
  metrics
    .command("add")
    .description("Add or replace a business metric of a flag")
    .argument("<flag>", "flag key")
    .requiredOption("--event <event>", "the tracked event (client.track(event, …), POST /api/v1/events)")
    .addOption(new Option("--kind <kind>", METRIC_KIND_HELP).choices(METRIC_KINDS).makeOptionMandatory())
    .addOption(new Option("--direction <direction>", "which way is better").choices(METRIC_DIRECTIONS).makeOptionMandatory())
    .option("--tolerance <relative>", "how much worse dark may be, e.g. -2% (default 0)", parseTolerance)
    .option("--critical", "a regression rolls the ramp back (default: watched only)")
    .option("--name <metric>", "the metric's name (default <event>_<kind>)")
    .addOption(jsonOption())
    .action(add);
  metrics.command("list").description("List a flag's business metrics").argument("<flag>", "flag key").addOption(jsonOption()).action(list);
  metrics
    .command("remove")
    .description("Remove a business metric of a flag")
    .argument("<flag>", "flag key")
    .argument("<metric>", "metric name")
    .action(remove);
}
