import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { CliError } from "./errors.js";

/** Reads a YAML or JSON file (`-` is stdin); JSON is YAML, so one parser reads both. */
export function readDocument(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new CliError(`${path} is not valid YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
}
