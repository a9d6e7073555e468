#!/usr/bin/env node
// `npm run docs:cli`: writes docs/cli.md from the command definitions.
import { writeFileSync } from "node:fs";
import { renderCliReference } from "./cli-reference.js";
import { createProgram } from "./program.js";

const target = new URL("../../../docs/cli.md", import.meta.url);
writeFileSync(target, renderCliReference(createProgram()));
process.stdout.write(`wrote ${target.pathname}\n`);
