import {
  type CheckRequest,
  type CheckResponse,
  type CheckResult,
  formatPercentage,
  MAX_CHECK_SUBJECTS,
  routingFormula,
} from "@darklaunch/core";
import type { Command } from "commander";
import { apiPath } from "../client.js";
import { apiOf, chunks, collect, collectAttr, jsonOption, parsePercentage, subjectsOf } from "../options.js";
import { percent, print, printJson, printTable } from "../output.js";

interface CheckOptions {
  id?: string[];
  idsFile?: string;
  percentage?: number;
  attr?: Record<string, string>;
  json?: boolean;
}

/** Why each subject is in or out: position, verdict, reason and the deciding step per subject. */
async function check(key: string, options: CheckOptions, command: Command): Promise<void> {
  const ids = subjectsOf(options);
  const api = apiOf(command);
  let head: CheckResponse | undefined;
  const results: CheckResult[] = [];
  for (const batch of chunks(ids, MAX_CHECK_SUBJECTS)) {
    const body: CheckRequest = { ids: batch, context: options.attr, percentage: options.percentage };
    const answer = await api.send<CheckResponse>("POST", apiPath("flags", key, "check"), body);
    head ??= answer;
    results.push(...answer.results);
  }
  if (head === undefined) return;
  const included = results.filter((r) => r.included).length;
  if (options.json) return printJson({ ...head, included, results });
  print(
    `flag ${head.flagKey} (version ${head.flagVersion}) · rollout ${percent(head.percentage)} · bucket by ${head.bucketBy} · salt ${JSON.stringify(head.salt)}`,
  );
  print(`routing: ${routingFormula({ key: head.flagKey, salt: head.salt, bucketBy: head.bucketBy }, head.percentage ?? undefined)}`);
  print();
  const whatIf = options.percentage !== undefined;
  const headers = ["subject", "position", "verdict", "reason", "variant"];
  if (whatIf) headers.push(`at ${formatPercentage(options.percentage ?? 0)}%`);
  headers.push("summary");
  printTable(
    headers,
    results.map((r) => {
      const row: (string | number | null)[] = [
        r.subject,
        r.position === null ? null : r.position.toFixed(2),
        r.verdict,
        r.ruleId ? `${r.reason} (${r.ruleId})` : r.reason,
        r.variant,
      ];
      if (whatIf) row.push(r.whatIf === null ? null : r.whatIf.included ? "include" : "exclude");
      row.push(r.summary);
      return row;
    }),
  );
  print();
  print(`${included} of ${results.length} subject${results.length === 1 ? "" : "s"} included at ${percent(head.percentage)}`);
  if (whatIf) {
    const would = results.filter((r) => r.whatIf?.included).length;
    print(`${would} of ${results.length} would be included at ${formatPercentage(options.percentage ?? 0)}%`);
  }
}

export function registerCheckCommand(program: Command): void {
  program
    .command("check")
    .description("Explain whether subjects are included in a flag and why, without evaluating for real (nothing is logged)")
    .argument("<flag>", "flag key")
    .option("--id <id>", "a subject id (repeatable, or comma-separated)", collect)
    .option("--ids-file <file>", "a file with one subject id per line (- for stdin)")
    .option("-p, --percentage <n>", "what-if: the verdict if the rollout were at this percentage", parsePercentage)
    .option("--attr <name=value>", "a context attribute for every subject, e.g. country=NL (repeatable)", collectAttr)
    .addOption(jsonOption())
    .action(check);
}
