import type { VerdictResponse } from "@darklaunch/core";
import type { Command } from "commander";
import { apiPath } from "../client.js";
import { apiOf, jsonOption, parseSince } from "../options.js";
import { type Cell, print, printJson, printTable } from "../output.js";

/** An e-value for people: 3 significant digits, "∞" past the doubles. */
function evidence(e: number | null): string {
  if (e === null) return "∞";
  return e >= 1e4 ? e.toExponential(1) : String(Number(e.toPrecision(3)));
}

function ratio(value: number | null): string {
  return value === null ? "-" : `×${value.toFixed(2)}`;
}

function rate(value: number | null): string {
  return value === null ? "-" : `${Number((value * 100).toFixed(3))}%`;
}

/** One row per metric: its counts, estimate, harm and safe evidence against their thresholds. */
function metricRows(verdict: VerdictResponse): Cell[][] {
  return verdict.metrics.map((m) => [
    `${m.metric}${m.critical ? " *" : ""}`,
    `${m.baseline.events}/${m.baseline.exposure} (${rate(m.baseline.rate)})`,
    `${m.dark.events}/${m.dark.exposure} (${rate(m.dark.rate)})`,
    ratio(m.estimate),
    `${evidence(m.harm.e)} / ${evidence(m.harm.threshold)}${m.harm.crossed ? crossedAt(m.harm) : ""}`,
    m.safe === null ? "-" : `${evidence(m.safe.e)} / ${evidence(m.safe.threshold)}${m.safe.crossed ? " crossed" : ""}`,
  ]);
}

/** Harm crosses on its running maximum and stays crossed, so a crossed side names the peak when the e-value has fallen since. */
function crossedAt(side: { e: number | null; maxE: number | null }): string {
  const peak = evidence(side.maxE);
  return peak === evidence(side.e) ? " crossed" : ` crossed at ${peak}`;
}

function relative(value: number | null): string {
  return value === null ? "-" : `${value >= 0 ? "+" : ""}${Number((value * 100).toFixed(2))}%`;
}

/** One row per business metric, in its own terms: each arm's rate, the relative effect, the tolerance. */
function businessRows(verdict: VerdictResponse): Cell[][] {
  return verdict.metrics.flatMap((m) => {
    const b = m.business;
    if (b === undefined || b === null) return [];
    const better = b.direction === "up" ? "higher" : "lower";
    const needed = m.evidenceNeeded?.remaining;
    return [
      [
        `${b.key}${m.critical ? " *" : ""}`,
        `${b.kind} of ${b.event}`,
        `${rateOf(b.kind, b.baseRate)}`,
        `${rateOf(b.kind, b.darkRate)}`,
        relative(b.relativeEffect),
        `${better} better, ${b.tolerance === 0 ? "no worse" : `-${Number((b.tolerance * 100).toFixed(2))}% ok`}`,
        needed === null || needed === undefined ? "-" : String(needed),
      ],
    ];
  });
}

function rateOf(kind: string, value: number | null): string {
  if (value === null) return "-";
  return kind === "conversion" ? rate(value) : String(Number(value.toPrecision(4)));
}

/** Prints a verdict: state and why, the per-metric table, the evidence still needed. */
function printVerdict(verdict: VerdictResponse): void {
  print(
    `${verdict.flag}: ${verdict.state} (${verdict.mode} mode${verdict.ramp ? `, ramp ${verdict.ramp.id} at ${verdict.ramp.percentage} %` : ""})`,
  );
  print(`  ${verdict.why}`);
  print();
  printTable(["metric", "baseline", "dark", "dark/base", "harm evidence", "safe evidence"], metricRows(verdict), "no metrics");
  const business = businessRows(verdict);
  if (business.length > 0) {
    print();
    print("business metrics (per exposed subject):");
    printTable(["metric", "what", "baseline", "dark", "dark vs base", "tolerance", "dark exposures needed"], business);
  }
  const needed = verdict.evidenceNeeded;
  print();
  print(
    needed.remaining === null
      ? `evidence needed: unknown until the baseline has errors (${needed.seen} dark requests seen)`
      : `evidence needed: ${needed.remaining} more dark requests (${needed.seen} of ${needed.requests}) to see a 2× error regression`,
  );
  print("  * critical: must prove safe to advance; a regression rolls back");
}

async function analyze(flag: string, options: { since?: string; json?: boolean }, command: Command): Promise<void> {
  const verdict = await apiOf(command).get<VerdictResponse>(apiPath("flags", flag, "verdict"), { since: options.since });
  if (options.json) return printJson(verdict);
  printVerdict(verdict);
}

/** `darklaunch analyze <flag>`: the judge's verdict with its numbers and why. */
export function registerAnalyzeCommand(program: Command): void {
  program
    .command("analyze")
    .description("The judge's verdict on a flag: state, per-metric evidence, why, evidence still needed")
    .argument("<flag>", "flag key")
    .option("--since <time>", "judge the period since (ISO or 1h, 30m…; default: the ramp's steps, else the last hour)", parseSince)
    .addOption(jsonOption())
    .action(analyze);
}
