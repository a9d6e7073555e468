#!/usr/bin/env node
// Checks every publishable package (packages/* without "private": true) the way a consumer's
// tools will see it once published: publint (package.json fields against the packed files) and,
// for packages that export an API with types, `attw --pack --profile esm-only` (are the types
// right for Node 16+ ESM and bundlers; CommonJS resolution is ignored: the packages are ESM-only).
// The command package (`darklaunch`) exports no API, only a bin, so attw has nothing to check there.
// Usage: node scripts/check-packages.mjs   (exit 1 when any check fails; both need `tsc -b` first)
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

const run = promisify(execFile);
const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const attwBin = join(root, "node_modules", ".bin", "attw");

const packages = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(root, "packages", entry.name))
  .map((dir) => {
    try {
      return { dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) };
    } catch {
      return undefined;
    }
  })
  .filter((pkg) => pkg !== undefined && pkg.manifest.private !== true);

// One `npm pack` for every package (npm's start-up is most of a pack's time); both tools read the tarballs.
const packDir = mkdtempSync(join(tmpdir(), "darklaunch-pack-"));
process.on("exit", () => rmSync(packDir, { recursive: true, force: true }));
const { stdout: packed } = await run(
  "npm",
  ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir, ...packages.map((pkg) => `--workspace=${pkg.dir}`)],
  { cwd: root, maxBuffer: 1 << 24 },
);
const tarballs = new Map(JSON.parse(packed).map((entry) => [entry.name, join(packDir, entry.filename)]));
const tarballOf = (manifest) => {
  const tarball = tarballs.get(manifest.name);
  if (tarball === undefined) throw new Error(`npm pack made no tarball for ${manifest.name}`);
  return tarball;
};

async function checkPublint({ manifest }) {
  const tarball = readFileSync(tarballOf(manifest));
  const { messages, pkg } = await publint({
    level: "suggestion",
    pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
  });
  const lines = messages.map((m) => `  ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
  // A tarball of the wrong package would pass silently: check that publint read this one.
  if (pkg.name !== manifest.name) lines.push(`  error: publint read ${pkg.name}, not ${manifest.name}`);
  const failed = pkg.name !== manifest.name || messages.some((m) => m.type !== "suggestion");
  return { name: manifest.name, tool: "publint", failed, text: lines.join("\n") };
}

async function checkTypes({ manifest }) {
  try {
    await run(attwBin, [tarballOf(manifest), "--profile", "esm-only", "--format", "ascii", "--no-emoji"], {
      cwd: root,
      maxBuffer: 1 << 24,
    });
    return { name: manifest.name, tool: "attw", failed: false, text: "" };
  } catch (error) {
    return { name: manifest.name, tool: "attw", failed: true, text: `${error.stdout ?? ""}${error.stderr ?? error.message}` };
  }
}

const hasTypes = (manifest) => JSON.stringify(manifest.exports ?? {}).includes('"types"');
const checks = packages.flatMap((pkg) => [() => checkPublint(pkg), ...(hasTypes(pkg.manifest) ? [() => checkTypes(pkg)] : [])]);

// Two at a time: the machine is shared.
const results = [];
const queue = [...checks];
await Promise.all(
  [0, 1].map(async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) results.push(await next());
  }),
);

results.sort((a, b) => a.name.localeCompare(b.name) || a.tool.localeCompare(b.tool));
for (const r of results) {
  process.stdout.write(`packages: ${r.failed ? "FAIL" : "ok  "} ${r.tool.padEnd(7)} ${r.name}\n`);
  if (r.text !== "" && (r.failed || r.tool === "publint")) process.stdout.write(`${r.text}\n`);
}
const failed = results.filter((r) => r.failed);
if (failed.length > 0) {
  process.stderr.write(`packages: ${failed.length} check(s) failed\n`);
  process.exit(1);
}
