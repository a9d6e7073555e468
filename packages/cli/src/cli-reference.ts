import type { Command, Option } from "commander";

/**
 * The CLI reference (docs/cli.md) rendered from the command definitions themselves, so it cannot
 * drift from what `--help` says: `npm run docs:cli` writes it, and a test fails when the file is stale.
 */
export function renderCliReference(program: Command): string {
  const lines = [
    "# darklaunch CLI reference",
    "",
    "<!-- Generated from the command definitions by `npm run docs:cli`; do not edit by hand. -->",
    "",
    program.description(),
    "",
    "Global options (every command):",
    "",
    ...optionLines(program.options as readonly Option[]),
    "",
    "Exit codes: 0 success, 1 failure (the server refused or could not be reached), 2 usage error.",
    "",
  ];
  for (const command of program.commands) renderCommand(command, [program.name()], lines);
  return `${lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

function renderCommand(command: Command, parents: string[], lines: string[]): void {
  const path = [...parents, command.name()];
  const usage = `${path.join(" ")} ${command.usage()}`.trim();
  lines.push(`## ${path.slice(1).join(" ")}`, "", "```", usage, "```", "", command.description(), "");
  const args = command.registeredArguments;
  if (args.length > 0) {
    lines.push("Arguments:", "");
    for (const arg of args) lines.push(`- \`${arg.name()}\`${arg.required ? "" : " (optional)"}: ${arg.description}`);
    lines.push("");
  }
  const options = (command.options as readonly Option[]).filter((option) => !option.hidden);
  if (options.length > 0) lines.push("Options:", "", ...optionLines(options), "");
  for (const sub of command.commands) renderCommand(sub, path, lines);
}

function optionLines(options: readonly Option[]): string[] {
  return options.map((option) => {
    const extras: string[] = [];
    if (option.defaultValue !== undefined && option.defaultValue !== false) extras.push(`default: ${JSON.stringify(option.defaultValue)}`);
    if (option.argChoices !== undefined) extras.push(`one of: ${option.argChoices.join(", ")}`);
    if (option.envVar !== undefined) extras.push(`env: ${option.envVar}`);
    const tail = extras.length > 0 ? ` (${extras.join("; ")})` : "";
    return `- \`${option.flags}\`: ${option.description}${tail}`;
  });
}
