import { type AuditPage, DEFAULT_PAGE_LIMIT, type Flag, MAX_PAGE_LIMIT, rolloutOf, type Serve } from "@darklaunch/core";
import type { Command } from "commander";
import { apiPath } from "../client.js";
import { apiOf, jsonOption, parsePageLimit, parseSince } from "../options.js";
import { compact, isServe, print, printJson, printTable, shortTime, splitText } from "../output.js";

/** The top-level fields that differ between before and after: `enabled: false → true`. */
export function changedFields(before: unknown, after: unknown, max = 40): string {
  if (before === null || before === undefined) return "created";
  if (after === null || after === undefined) return "deleted";
  if (typeof before !== "object" || typeof after !== "object") return "";
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const skip = new Set(["version", "updatedAt", "createdAt", "lastUsedAt"]);
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((field) => !skip.has(field) && JSON.stringify(b[field]) !== JSON.stringify(a[field]))
    .map((field) => {
      if (field === "fallthrough" && isServe(b[field]) && isServe(a[field])) {
        const from = rolloutOf(b as Pick<Flag, "fallthrough" | "offVariant">);
        const to = rolloutOf(a as Pick<Flag, "fallthrough" | "offVariant">);
        const sameVariant =
          from !== undefined &&
          to !== undefined &&
          (from.variants.length === 0 || to.variants.length === 0 || from.variants.join() === to.variants.join());
        if (from !== undefined && to !== undefined && sameVariant) return `percentage: ${from.percentage}% → ${to.percentage}%`;
        // Anything else shows every variant's share, before → after, never cut.
        return `split: ${splitText(b[field] as Serve)} → ${splitText(a[field] as Serve)}`;
      }
      return `${field}: ${compact(b[field], max)} → ${compact(a[field], max)}`;
    })
    .join("; ");
}

interface AuditOptions {
  flag?: string;
  segment?: string;
  actor?: string;
  since?: string;
  limit?: number;
  json?: boolean;
}

async function audit(options: AuditOptions, command: Command): Promise<void> {
  const target =
    options.flag !== undefined
      ? { targetType: "flag", target: options.flag }
      : options.segment !== undefined
        ? { targetType: "segment", target: options.segment }
        : {};
  const page = await apiOf(command).get<AuditPage>(apiPath("audit"), {
    ...target,
    actor: options.actor,
    since: options.since,
    limit: options.limit,
  });
  if (options.json) return printJson(page);
  printTable(
    ["at", "actor", "action", "target", "change"],
    page.entries.map((e) => [shortTime(e.at), e.actor, e.action, `${e.targetType} ${e.targetKey}`, changedFields(e.before, e.after)]),
    "no audit entries match",
  );
  if (page.nextBefore !== null) print("(more: raise --limit or narrow --since)");
}

export function registerAuditCommand(program: Command): void {
  program
    .command("audit")
    .description("Who changed what and when, newest first, with what changed")
    .option("--flag <flag>", "only changes of this flag")
    .option("--segment <segment>", "only changes of this segment")
    .option("--actor <name>", "only changes by this token name")
    .option("--since <when>", "a duration such as 1h or 7d, or an ISO date", parseSince)
    .option("--limit <n>", `at most this many (default ${DEFAULT_PAGE_LIMIT}, at most ${MAX_PAGE_LIMIT})`, parsePageLimit)
    .addOption(jsonOption())
    .action(audit);
}
