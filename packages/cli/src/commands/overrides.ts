import type { OverrideListResponse, OverrideRecord, OverrideRequest } from "@darklaunch/core";
import type { Command } from "commander";
import { apiPath } from "../client.js";
import { apiOf, collect, jsonOption, subjectsOf } from "../options.js";
import { print, printJson, printTable, shortTime } from "../output.js";

interface OverrideOptions {
  id?: string[];
  idsFile?: string;
  variant?: string;
  clear?: boolean;
}

/** `optin` / `optout`: a per-subject override that beats rules and the rollout (a self-selected beta). */
async function setOverride(source: "opt-in" | "opt-out", key: string, options: OverrideOptions, command: Command): Promise<void> {
  const subjects = subjectsOf(options);
  const api = apiOf(command);
  for (const subject of subjects) {
    if (options.clear) {
      await api.request("DELETE", apiPath("flags", key, "overrides", subject));
      print(`removed the override of ${subject} on flag ${key}`);
      continue;
    }
    const body: OverrideRequest = options.variant === undefined ? { source } : { source, variant: options.variant };
    const override = await api.send<OverrideRecord>("PUT", apiPath("flags", key, "overrides", subject), body);
    const variant = override.variant ?? (source === "opt-in" ? "the rolled-out variant" : "the off variant");
    print(`${subject} ${source === "opt-in" ? "opted in to" : "opted out of"} flag ${key}: always gets ${variant}`);
  }
}

async function list(key: string, options: { json?: boolean }, command: Command): Promise<void> {
  const { overrides } = await apiOf(command).get<OverrideListResponse>(apiPath("flags", key, "overrides"));
  if (options.json) return printJson({ overrides });
  printTable(
    ["subject", "source", "variant", "created"],
    overrides.map((o) => [o.subject, o.source, o.variant, shortTime(o.createdAt)]),
    `flag ${key} has no overrides`,
  );
}

export function registerOverrideCommands(program: Command): void {
  for (const [name, source] of [
    ["optin", "opt-in"],
    ["optout", "opt-out"],
  ] as const) {
    program
      .command(name)
      .description(
        source === "opt-in"
          ? "Always include a subject in a flag (an opt-in override)"
          : "Always exclude a subject from a flag (an opt-out override)",
      )
      .argument("<flag>", "flag key")
      .option("--id <id>", "the subject (repeatable, or comma-separated)", collect)
      .option("--ids-file <file>", "a file with one subject per line")
      .option("--variant <variant>", "the variant to pin (default: the rolled-out one for optin, the off variant for optout)")
      .option("--clear", "remove the subject's override instead")
      .action((key: string, options: OverrideOptions, command: Command) => setOverride(source, key, options, command));
  }
  program
    .command("overrides")
    .description("List a flag's per-subject overrides")
    .argument("<flag>", "flag key")
    .addOption(jsonOption())
    .action(list);
}
