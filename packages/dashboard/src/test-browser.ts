import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "@darklaunch/server";
import axe from "axe-core";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

/** What the dashboard's browser suites share: where things are, and the checks every view gets. */

export const CHROMIUM = process.env.DARKLAUNCH_CHROMIUM ?? "/usr/bin/chromium";
export const DIST = fileURLToPath(new URL("../dist/index.html", import.meta.url));
export const CLI = fileURLToPath(new URL("../../cli/dist/main.js", import.meta.url));
/** The committed entry point a user runs; it loads `CLI`. */
export const CLI_BIN = fileURLToPath(new URL("../../cli/bin/darklaunch.js", import.meta.url));
export const SHOTS = process.env.DARKLAUNCH_SHOTS_DIR ?? join(tmpdir(), "darklaunch-dashboard-shots");

/** Why a browser suite cannot run here, if it cannot. */
export const MISSING = [
  existsSync(CHROMIUM) ? undefined : `no browser at ${CHROMIUM} (apt-get install -y chromium)`,
  existsSync(DIST) ? undefined : "the dashboard is not built (npm run build)",
  existsSync(CLI) ? undefined : "the CLI is not built (npm run build)",
].filter((m) => m !== undefined);
// On CI a missing browser or build is a failure; on a laptop without chromium the suite says why it skipped.
export const SKIP_BROWSER = MISSING.length > 0 && process.env.CI === undefined;

/** axe-core on the page as it is: no serious or critical violation. */
export async function expectAccessible(p: Page, view: string): Promise<void> {
  await p.evaluate(axe.source);
  const violations = await p.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious, `${view}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}

export async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(p: Page, url: string, token: string): Promise<void> {
  await p.goto(url);
  await p.getByLabel("API token").fill(token);
  await p.getByRole("button", { name: "Sign in" }).click();
}

/** A JSON call to the server with a token; throws with the status and body when it fails. */
export async function callApi<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A browser suite's world: a real server on a temp SQLite store, and chromium. */
export interface BrowserSuite {
  url: string;
  browser: Browser;
  /** Closes the browser and the server and removes the store. */
  close(): Promise<void>;
}

/**
 * Starts a suite's server (on a store in a temp folder named after `name`) and chromium, and makes
 * the screenshot folder, printing where it is.
 */
export async function startBrowserSuite(name: string, adminToken: string, minuteMs?: number): Promise<BrowserSuite> {
  const dir = mkdtempSync(join(tmpdir(), `darklaunch-${name}-`));
  mkdirSync(SHOTS, { recursive: true });
  console.log(`${name} screenshots: ${SHOTS}`);
  const server = await createServer({
    sqlitePath: join(dir, "darklaunch.db"),
    adminToken,
    ...(minuteMs === undefined ? {} : { minuteMs }),
  });
  const url = await server.listen(0, "127.0.0.1");
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  } catch (error) {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    browser,
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
