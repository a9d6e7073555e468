// Prints the gzipped size of the JavaScript the first view loads (the entry and the chunks
// index.html preloads), and fails the build above the budget.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 250 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
for (const path of scripts) total += gzipSync(readFileSync(join(dist, path))).length;
const kb = (total / 1024).toFixed(1);
console.log(`dashboard: first view loads ${scripts.length} JS file(s), ${kb} KB gzipped (budget 250 KB)`);
if (total > BUDGET) {
  console.error(`dashboard: first-view JS is over budget (${kb} KB > 250 KB)`);
  process.exit(1);
}
