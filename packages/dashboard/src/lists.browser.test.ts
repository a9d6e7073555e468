import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserSuite,
  CLI_BIN,
  callApi,
  expectAccessible,
  MISSING,
  SKIP_BROWSER,
  shot,
  signIn,
  startBrowserSuite,
} from "./test-browser.js";

/**
 * The lists in a real browser (Debian's chromium through playwright-core) against a real server on
 * a temp SQLite store: the launches list with its badges, filters and summaries, a change made with
 * the real CLI binary followed without a reload, conditional polls (304), the diffs with their
 * route breakdown, field tree and a marked sample, and the audit log (who-is-in is in
 * dashboard.browser.test.ts). axe-core checks each view; each is photographed into the folder the
 * suite prints.
 */

const ADMIN = "dl_admin_lists-browser-test-0123456789ab";

describe.skipIf(SKIP_BROWSER)(
  `dashboard lists in chromium${SKIP_BROWSER ? ` (skipped: ${MISSING.join("; ")})` : ""}`,
  { timeout: 60_000 },
  () => {
    let suite: BrowserSuite | undefined;
    let url: string;
    let browser: Browser;
    let page: Page;
    const notModified: string[] = [];

    const api = <T>(method: string, path: string, body?: unknown) => callApi<T>(url, ADMIN, method, path, body);

    /** Ten minutes of checkout-v2 on two routes: /pay differs in body.total (real) and headers.date (noise in both). */
    async function postObservations(): Promise<void> {
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      const latencies = (base: number, n: number) => Array.from({ length: n }, (_, k) => base + (k % 10));
      const windows = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0].flatMap((ago, i) => [
        {
          flag: "checkout-v2",
          source: "proxy",
          route: "POST /pay",
          start: new Date(minute - ago * 60_000).toISOString(),
          baseline: { errors: 0, latenciesMs: latencies(20, 90) },
          dark: { errors: 1, latenciesMs: latencies(25, 10) },
          comparison: {
            total: 20,
            matched: 20 - (2 + i),
            mismatched: 2 + i,
            noiseTotal: 20,
            fields: { "body.total": 2 + i, "headers.date": 2 },
            noise: { "headers.date": 2 },
          },
          samples:
            ago % 3 === 0
              ? [
                  {
                    at: new Date(minute - ago * 60_000 + 5_000).toISOString(),
                    requestId: `pay-${i}`,
                    method: "POST",
                    url: "/pay?cart=7",
                    baselineStatus: 200,
                    darkStatus: 200,
                    differences: [{ path: "body.total", location: "body", kind: "changed", baseline: 10, dark: 12 }],
                  },
                ]
              : [],
        },
        {
          flag: "checkout-v2",
          source: "proxy",
          route: "GET /cart",
          start: new Date(minute - ago * 60_000).toISOString(),
          baseline: { errors: 0, latenciesMs: latencies(10, 45) },
          dark: { errors: 0, latenciesMs: latencies(11, 5) },
          comparison: { total: 10, matched: 9, mismatched: 1, noiseTotal: 10, fields: { "headers.date": 1 }, noise: { "headers.date": 1 } },
          samples: [],
        },
      ]);
      await api("POST", "/api/v1/observations", { windows });
    }

    beforeAll(async () => {
      suite = await startBrowserSuite("lists", ADMIN);
      ({ url, browser } = suite);
      await api("PUT", "/api/v1/flags/checkout-v2/launch", { percentage: 10 });
      await api("PUT", "/api/v1/flags/search-v3/launch", { percentage: 5 });
      await api("PUT", "/api/v1/flags/pricing-ramp/launch", { percentage: 1 });
      await api("POST", "/api/v1/flags/pricing-ramp/ramp", { plan: { steps: [5, 50, 100], minStep: "30m", maxStep: "2h" } });
      await api("POST", "/api/v1/flags", {
        key: "plain-toggle",
        description: "Not launched",
        variants: { on: true, off: false },
        offVariant: "off",
        fallthrough: { variant: "off" },
      });
      await postObservations();
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("response", (response) => {
        if (response.status() === 304) notModified.push(new URL(response.url()).pathname);
      });
    });

    afterAll(async () => {
      await suite?.close();
    });

    it("a wrong token gets a clear message", async () => {
      await signIn(page, url, "dl_admin_wrong-token-wrong-token");
      await expect(page.getByRole("alert").textContent()).resolves.toContain("This token was not accepted");
      await shot(page, "lists-0-wrong-token");
    });

    it("lists each launch with its badge, rollout, step, next gate and summary; the other flags below", async () => {
      await signIn(page, url, ADMIN);
      const checkout = page.locator('table.launches tr[data-flag="checkout-v2"]');
      await expect(checkout.getByTestId("launch-state").textContent()).resolves.toContain("rolling out");
      await expect(checkout.getByTestId("rollout").textContent()).resolves.toBe("10%");
      // Dark served 100 of 1 000 requests; divergence went up over the ten minutes.
      await checkout.getByTestId("summary").filter({ hasText: "10.0% served dark" }).waitFor();
      await expect(checkout.getByTestId("summary").textContent()).resolves.toMatch(/divergence \d+\.\d% ↗/);
      const ramp = page.locator('table.launches tr[data-flag="pricing-ramp"]');
      await expect(ramp.getByTestId("launch-state").textContent()).resolves.toContain("ramping");
      await expect(ramp.textContent()).resolves.toContain("serve step 1 of 3 · 5%");
      await expect(ramp.textContent()).resolves.toMatch(/in (29|30) min/);
      // No observations at all: marked stale, in words and a dashed frame.
      await page.locator('table.launches tr[data-flag="search-v3"] .badge.nodata').filter({ hasText: "stale: no data" }).waitFor();
      await expect(page.locator('#other-flags ~ table tr[data-flag="plain-toggle"]').count()).resolves.toBe(1);
      await expectAccessible(page, "launches");
      await shot(page, "lists-1-launches");
    });

    it("filters by launch state and text", async () => {
      await page.getByLabel("Launch state").selectOption("ramping");
      await page.waitForFunction(() => document.querySelectorAll("table.launches tbody tr").length === 1);
      await expect(page.locator("table.launches tbody tr").getAttribute("data-flag")).resolves.toBe("pricing-ramp");
      await page.getByLabel("Launch state").selectOption("any");
      await page.getByLabel("Search").fill("search");
      await page.waitForFunction(() => document.querySelectorAll("table.launches tbody tr").length === 1);
      await expect(page.locator("table.launches tbody tr").getAttribute("data-flag")).resolves.toBe("search-v3");
      await page.getByLabel("Search").fill("nothing-like-this");
      await page.getByText("No launch matches these filters.").waitFor();
      await page.getByLabel("Search").fill("");
    });

    it("follows a percentage set with the CLI without a reload, and its polls get 304 while nothing changes", async () => {
      await page.evaluate(() => {
        (window as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      await promisify(execFile)(process.execPath, [CLI_BIN, "enable", "checkout-v2", "--percentage", "40", "--url", url, "--token", ADMIN]);
      await page.locator('table.launches tr[data-flag="checkout-v2"]').getByTestId("rollout").filter({ hasText: /^40%$/ }).waitFor();
      expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      await expect.poll(() => notModified.filter((p) => p === "/api/v1/flags").length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(notModified).toContain("/api/v1/ramps");
    });

    it("shows routes, the field-path tree and a sample with the differing field marked", async () => {
      await page.getByRole("link", { name: "checkout-v2" }).click();
      await page.getByRole("link", { name: "Diffs" }).click();
      const pay = page.locator('table.routes tr[data-route="POST /pay"]');
      await expect(pay.getByTestId("beyond-noise").textContent()).resolves.toContain("in 1 field");
      await expect(page.locator('table.routes tr[data-route="GET /cart"]').getByTestId("beyond-noise").textContent()).resolves.toContain(
        "noise only",
      );
      await expect(page.locator('table.fields tr[data-path="body"]').textContent()).resolves.toContain("real difference");
      await expect(page.locator('table.fields tr[data-path="body.total"]').textContent()).resolves.toContain("real difference");
      await expect(page.locator('table.fields tr[data-path="headers.date"]').textContent()).resolves.toContain("≈ noise");
      await page
        .getByRole("button", { name: /POST \/pay\?cart=7/ })
        .first()
        .click();
      await expect(page.locator("table.side-by-side tr.request").textContent()).resolves.toContain("POST /pay?cart=7");
      await expect(page.locator('table.side-by-side tr[data-field="body.total"] mark').allTextContents()).resolves.toEqual([
        "10",
        "differs: 12",
      ]);
      await expectAccessible(page, "diffs");
      await shot(page, "lists-2-diffs");
      // One route only: GET /cart differs only in noise, and keeps no samples.
      await page.locator('table.routes tr[data-route="GET /cart"]').getByRole("button", { name: "Only this route" }).click();
      await page.locator("table.fields tbody tr").first().waitFor();
      await page.waitForFunction(() => document.querySelector('table.fields tr[data-path="body.total"]') === null);
      await page.getByText("No samples were kept in this period.").waitFor();
      await shot(page, "lists-3-diffs-one-route");
    });

    it("lists the audit log with ramp actors told apart, filtered by flag and by actor", async () => {
      await page.getByRole("link", { name: "Audit", exact: true }).first().click();
      await page.waitForURL(`${url}/audit`);
      await page.locator("table.audit tbody tr").first().waitFor();
      await page.getByLabel("Flag").fill("pricing-ramp");
      // A ramp's note reads as its sentence, not JSON.
      await page
        .locator("table.audit tbody tr")
        .filter({ hasText: "ramp.start" })
        .filter({ hasText: "ramp started at serve step 1 of 3" })
        .waitFor();
      await page.getByLabel("Actor").fill("nobody-at-all");
      await page.getByText("No changes recorded").waitFor();
      const me = await api<{ name: string }>("GET", "/api/v1/whoami");
      await page.getByLabel("Actor").fill(me.name);
      await page.locator("table.audit tbody tr").filter({ hasText: "ramp.start" }).first().waitFor();
      await expectAccessible(page, "audit");
      await shot(page, "lists-5-audit");
    });
  },
);
