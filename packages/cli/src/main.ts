#!/usr/bin/env node
import { CommanderError } from "commander";
import { CliError, EXIT_FAILURE, EXIT_USAGE } from "./errors.js";
import { createProgram } from "./program.js";

function report(error: CliError): void {
  const lines = [`error: ${error.message}`, ...error.details.map((d) => `  ${d.path === "" ? "" : `${d.path}: `}${d.message}`)];
  if (error.hint !== undefined) lines.push(error.hint);
  process.stderr.write(`${lines.join("\n")}\n`);
}

async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end in a CommanderError too; they are successes.
      if (["commander.helpDisplayed", "commander.version"].includes(error.code)) return 0;
      if (error.code === "commander.help") return error.exitCode === 0 ? 0 : EXIT_USAGE;
      if (error.code === "commander.executeSubCommandAsync") return error.exitCode;
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      report(error);
      return error.exitCode;
    }
    process.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}

// A reader that stops early (`darklaunch log | head`) closes the pipe: that is the reader's choice,
// not a failure, so the command ends quietly instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv);
