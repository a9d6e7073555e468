#!/usr/bin/env node
// Guards the workspace layout that the compiler cannot see (docs/architecture.md, "Layout rules"):
// 1. no file reaches into another package by relative path (`../../core/src/…`): packages talk
//    through their public face (`@darklaunch/core`), and shared test helpers live in
//    `@darklaunch/testkit`;
// 2. production files never import test helpers (`test-*.ts`, `*.arbitraries.ts`, `*.test.ts`) and
//    never import `@darklaunch/testkit`.
// Usage: node scripts/check-layout.mjs [root]   (exit 1 and one line per problem when it finds any)
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";

const root = resolve(process.argv[2] ?? ".");
const PACKAGE_DIRS = ["packages", "bench", "examples"];
const SKIP = new Set(["node_modules", "dist", ".git"]);
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

function* sourceFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) yield path;
  }
}

/** The package folder a file belongs to: `packages/<name>`, `bench`, or `examples/<name>`. */
function packageOf(file) {
  const parts = relative(root, file).split(sep);
  if (parts[0] === "bench") return "bench";
  return parts.slice(0, 2).join("/");
}

function isTestFile(file) {
  const name = basename(file);
  return name.includes(".test.") || name.startsWith("test-") || name.includes(".arbitraries.") || packageOf(file) === "packages/testkit";
}

const problems = [];
for (const top of PACKAGE_DIRS) {
  for (const file of sourceFiles(join(root, top))) {
    const text = readFileSync(file, "utf8");
    const where = relative(root, file);
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (specifier === undefined) continue;
      const line = text.slice(0, match.index).split("\n").length + (match[0].startsWith("\n") ? 1 : 0);
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier);
        if (packageOf(target) !== packageOf(file)) {
          problems.push(`${where}:${line}: imports "${specifier}" from another package by path; import its package name instead`);
        }
        if (!isTestFile(file) && isTestFile(target)) {
          problems.push(`${where}:${line}: production code imports the test helper "${specifier}"`);
        }
      } else if (!isTestFile(file) && specifier.startsWith("@darklaunch/testkit")) {
        problems.push(`${where}:${line}: production code imports "${specifier}"`);
      }
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`layout: ${problems.length} problem(s)\n${problems.join("\n")}\n`);
  process.exit(1);
}
process.stdout.write("layout: ok\n");
