import { DEFAULT_PAGE_LIMIT, type EvaluationPage, type EvaluationStats, MAX_PAGE_LIMIT } from "@darklaunch/core";
import type { Command } from "commander";
import { apiPath } from "../client.js";
import { apiOf, jsonOption, parseDuration, parsePageLimit, parseSince, parseVerdict } from "../options.js";
import { print, printJson, printTable, shortTime } from "../output.js";

interface LogOptions {
  flag?: string;
  verdict?: string;
  reason?: string;
  subject?: string;
  since?: string;
  limit?: number;
  json?: boolean;
}

/** What the log is, said wherever it is shown: SDKs send only samples of what they evaluate. */
const LOG_HOLDS =
  "evaluations log, newest first: every evaluation the server made (evaluate API, OFREP) and samples of the excluded ones SDKs report (counts: darklaunch stats)";

async function log(options: LogOptions, command: Command): Promise<void> {
  const api = apiOf(command);
  const page = await api.get<EvaluationPage>(apiPath("evaluations"), {
    flag: options.flag,
    verdict: options.verdict,
    reason: options.reason,
    subject: options.subject,
    since: options.since,
    limit: options.limit,
  });
  if (options.json) return printJson(page);
  print(LOG_HOLDS);
  printTable(
    ["at", "flag", "version", "subject", "verdict", "reason", "variant", "position"],
    page.evaluations.map((e) => [
      shortTime(e.at),
      e.flag,
      e.flagVersion,
      e.subject,
      e.verdict,
      e.reason,
      e.variant,
      e.position === null ? null : e.position.toFixed(2),
    ]),
    "no evaluations match",
  );
  if (page.nextBefore !== null) print(`(more: raise --limit or narrow --since)`);
}

function share(part: number, total: number): string {
  return total === 0 ? "-" : `${((part / total) * 100).toFixed(1)}%`;
}

function printCounts(title: string, counts: Record<string, number>, total: number): void {
  print(title);
  printTable(
    ["", "count", "share"],
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => [`  ${name}`, n, share(n, total)]),
    "  (none)",
  );
}

async function stats(options: { flag?: string; period?: string; json?: boolean }, command: Command): Promise<void> {
  const api = apiOf(command);
  const result = await api.get<EvaluationStats>(apiPath("evaluations", "stats"), { flag: options.flag, period: options.period ?? "1d" });
  if (options.json) return printJson(result);
  print(
    `evaluations${options.flag ? ` of ${options.flag}` : ""} from ${shortTime(result.since)} to ${shortTime(result.until)} UTC: ${result.total}`,
  );
  print("  (every evaluation: those the server made, plus every one SDKs counted and reported, not only the logged samples)");
  if (result.total === 0) return;
  print();
  printCounts("by verdict", result.byVerdict, result.total);
  print();
  printCounts("by reason", result.byReason, result.total);
  print();
  printCounts("by variant", result.byVariant, result.total);
  print();
  printTable(
    ["flag", "total", "include", "exclude", "include rate"],
    result.flags.map((f) => [f.flag, f.total, f.include, f.exclude, `${(f.includeRate * 100).toFixed(1)}%`]),
  );
}

export function registerEvaluationCommands(program: Command): void {
  program
    .command("log")
    .description(
      "Recorded evaluations, newest first: every evaluation the server made (evaluate API, OFREP) and samples of the excluded evaluations SDKs report (SDKs send counts, not every evaluation: `stats` counts them all)",
    )
    .option("--flag <flag>", "only this flag")
    .option("--verdict <verdict>", "include or exclude (allow / deny also work)", parseVerdict)
    .option("--reason <reason>", "only this reason, e.g. ROLLOUT_EXCLUDED")
    .option("--subject <id>", "only this subject")
    .option("--since <when>", "a duration such as 1h or 7d, or an ISO date", parseSince)
    .option("--limit <n>", `at most this many (default ${DEFAULT_PAGE_LIMIT}, at most ${MAX_PAGE_LIMIT})`, parsePageLimit)
    .addOption(jsonOption())
    .action(log);
  program
    .command("stats")
    .description(
      "Every evaluation over a period, counted by verdict, reason, variant and flag: the server's own plus every one SDKs counted and reported",
    )
    .option("--flag <flag>", "only this flag")
    .option("--period <duration>", "how far back, e.g. 1h, 1d, 7d (default 1d)", parseDuration)
    .addOption(jsonOption())
    .action(stats);
}
