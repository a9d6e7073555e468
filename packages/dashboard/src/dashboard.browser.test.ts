import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { FlagRecord } from "@darklaunch/core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserSuite,
  CLI,
  callApi,
  expectAccessible,
  MISSING,
  SHOTS,
  SKIP_BROWSER,
  shot,
  signIn,
  startBrowserSuite,
} from "./test-browser.js";

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against a real
 * server on a temp SQLite store, with observations posted through the API and a change made with
 * the real CLI. Each view is checked with axe-core and photographed.
 */

const ADMIN = "dl_admin_dashboard-browser-test-0123456789";
const FLAG = "checkout-v2";

describe.skipIf(SKIP_BROWSER)(
  `dashboard in chromium${SKIP_BROWSER ? ` (skipped: ${MISSING.join("; ")})` : ""}`,
  { timeout: 60_000 },
  () => {
    let suite: BrowserSuite | undefined;
    let url: string;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const tokens: Record<"read" | "write", string> = { read: "", write: "" };
    const cspViolations: string[] = [];

    const api = <T>(method: string, path: string, body?: unknown, token = ADMIN) => callApi<T>(url, token, method, path, body);

    async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("console", (message) => {
        if (message.type() === "error" && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      return { context, page };
    }

    beforeAll(async () => {
      suite = await startBrowserSuite("dashboard", ADMIN);
      ({ url, browser } = suite);
      for (const scope of ["read", "write"] as const) {
        tokens[scope] = (await api<{ secret: string }>("POST", "/api/v1/tokens", { name: `${scope} person`, scope })).secret;
      }
      await api("PUT", `/api/v1/flags/${FLAG}/launch`, { percentage: 10 });
      await api("POST", "/api/v1/flags", {
        key: "old-banner",
        description: "Holiday banner",
        variants: { on: true, off: false },
        offVariant: "off",
        fallthrough: { variant: "off" },
        expiresAt: "2026-01-01T00:00:00Z",
      });
      await postObservations();
      ({ context, page } = await newPage());
    });

    afterAll(async () => {
      await suite?.close();
    });

    /** Five minutes of a dark launch where dark is slower, fails more and answers a different total. */
    async function postObservations(): Promise<void> {
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      const windows = [5, 4, 3, 2, 1].map((ago, i) => {
        const start = new Date(minute - ago * 60_000).toISOString();
        const latencies = (base: number, n: number) => Array.from({ length: n }, (_, k) => base + (k % 10) * base * 0.1);
        return {
          flag: FLAG,
          source: "api",
          route: "POST /pay",
          start,
          baseline: { errors: 1, latenciesMs: latencies(20, 60 + i * 5) },
          dark: { errors: 2 + i, latenciesMs: latencies(28, 30 + i * 3) },
          comparison: {
            total: 20,
            matched: 15,
            mismatched: 5,
            noiseTotal: 10,
            fields: { "body.total": 5, "headers.date": 4 },
            noise: { "headers.date": 4 },
          },
          samples: [
            {
              at: new Date(minute - ago * 60_000 + 10_000).toISOString(),
              requestId: `req-${i}`,
              method: "POST",
              url: "/pay",
              baselineStatus: 200,
              darkStatus: 200,
              differences: [{ path: "body.total", location: "body", kind: "changed", baseline: 10, dark: 12 }],
            },
          ],
        };
      });
      await api("POST", "/api/v1/observations", { windows });
    }

    it("a wrong token gets a clear message and no session", async () => {
      await signIn(page, url, "dl_read_not-a-real-token");
      await expect(page.getByRole("alert").textContent()).resolves.toContain("This token was not accepted");
      await expectAccessible(page, "sign-in");
      await shot(page, "0-sign-in-wrong-token");
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    });

    it("signs in, keeps the token out of the URL, and lists the flags with their rollout and stale marks", async () => {
      await signIn(page, url, ADMIN);
      const row = page.locator(`tr[data-flag="${FLAG}"]`);
      await expect(row.getByTestId("rollout").textContent()).resolves.toBe("10%");
      await expect(page.locator('tr[data-flag="old-banner"]').textContent()).resolves.toContain("stale");
      expect(page.url()).not.toContain(ADMIN);
      expect(await page.evaluate(() => sessionStorage.getItem("darklaunch.token"))).toBe(ADMIN);
      await expectAccessible(page, "launches");
      await shot(page, "1-launches");
    });

    it("sets the percentage in the UI and the API agrees; the page shows the golden signals", async () => {
      await page.getByRole("link", { name: FLAG }).click();
      await page.waitForURL(`${url}/flags/${FLAG}`);
      await page.getByLabel("Rollout %").fill("25");
      await page.getByRole("button", { name: "Set percentage" }).click();
      await page.getByTestId("flag-percentage").filter({ hasText: /^25%$/ }).waitFor();
      await page.getByRole("status").filter({ hasText: "Rolled out to 25%." }).waitFor();
      expect((await api<FlagRecord>("GET", `/api/v1/flags/${FLAG}`)).percentage).toBe(25);
      await page.locator("figure.chart canvas").nth(2).waitFor();
      await expect(page.locator("figure.chart figcaption").allTextContents()).resolves.toEqual(["Request rate", "Error rate", "Latency"]);
      await expectAccessible(page, "a launch");
      await shot(page, "2-launch");
    });

    it("follows a change made with the CLI without a reload", async () => {
      await page.evaluate(() => {
        (window as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      await promisify(execFile)(process.execPath, [CLI, "enable", FLAG, "--percentage", "40", "--url", url, "--token", ADMIN]);
      await page.getByTestId("flag-percentage").filter({ hasText: /^40%$/ }).waitFor();
      expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    });

    it("asks before the kill switch, then turns the flag off for everyone", async () => {
      await page.getByRole("button", { name: /Kill switch/ }).click();
      const dialog = page.getByRole("dialog", { name: `Turn ${FLAG} off?` });
      await dialog.waitFor();
      await page.screenshot({ path: join(SHOTS, "3-kill-switch-confirm.png") });
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      // By keyboard: Enter opens it, Escape closes it.
      await page.getByRole("button", { name: /Kill switch/ }).focus();
      await page.keyboard.press("Enter");
      await dialog.waitFor();
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      expect((await api<FlagRecord>("GET", `/api/v1/flags/${FLAG}`)).enabled).toBe(true);
      await page.getByRole("button", { name: /Kill switch/ }).click();
      await dialog.getByRole("button", { name: "Turn off for everyone" }).click();
      await page.getByTestId("flag-state").filter({ hasText: "off" }).waitFor();
      expect((await api<FlagRecord>("GET", `/api/v1/flags/${FLAG}`)).enabled).toBe(false);
      await page.getByRole("button", { name: "Turn on at this percentage" }).click();
      await page.getByTestId("flag-state").filter({ hasText: "on" }).waitFor();
      expect((await api<FlagRecord>("GET", `/api/v1/flags/${FLAG}`)).enabled).toBe(true);
    });

    it("shows the fields that differ and a sample side by side with the differing field marked", async () => {
      await page.getByRole("link", { name: "Diffs" }).click();
      const field = page.locator("table.fields tbody tr").filter({ hasText: "body.total" });
      await expect(field.textContent()).resolves.toContain("real difference");
      await expect(page.locator("table.fields tbody tr").filter({ hasText: "headers.date" }).textContent()).resolves.toContain("noise");
      await page
        .getByRole("button", { name: /POST \/pay/ })
        .first()
        .click();
      const marked = page.locator('table.side-by-side tr[data-field="body.total"] mark');
      await expect(marked.allTextContents()).resolves.toEqual(["10", "differs: 12"]);
      await expectAccessible(page, "diffs");
      await shot(page, "4-diffs");
    });

    it("explains who is in, with a what-if at another percentage", async () => {
      await page.getByRole("link", { name: "Who is in" }).click();
      await page.getByLabel("Subject id").fill("user-42");
      await page.getByLabel("What if the rollout were (%)").fill("100");
      await page.getByRole("button", { name: "Check" }).click();
      await page.locator(".verdict").waitFor();
      await expect(page.locator(".verdict").textContent()).resolves.toContain("At 100%: ✓ in");
      await expect(page.locator("ol.steps li").count()).resolves.toBeGreaterThan(1);
      await expectAccessible(page, "who is in");
      await shot(page, "5-who-is-in");
    });

    it("lists the audit log with who changed what, before → after", async () => {
      await page.getByRole("link", { name: "Audit", exact: true }).first().click();
      await page.waitForURL(`${url}/audit`);
      await page.locator("table.audit tbody tr").first().waitFor();
      await expect(page.locator("table.audit").textContent()).resolves.toMatch(/fallthrough\s*on 10% · off 90%\s*→\s*on 25% · off 75%/);
      await shot(page, "6-audit");
      await page.getByLabel("Flag").fill("old-banner");
      // The filtered answer replaces the table: old-banner has one entry, its creation.
      await page.waitForFunction(() => document.querySelectorAll("table.audit tbody tr").length === 1);
      await expect(page.locator("table.audit tbody tr").textContent()).resolves.toContain("old-banner");
      await expectAccessible(page, "audit");
    });

    it("offers a read token no button it cannot use, and signs out", async () => {
      const reader = await newPage();
      try {
        await signIn(reader.page, url, tokens.read);
        await reader.page.getByRole("link", { name: FLAG }).click();
        await reader.page.getByText("Your token can read only").waitFor();
        // A reload keeps the session (the tab's sessionStorage), and the page.
        await reader.page.reload();
        await reader.page.getByText("Your token can read only").waitFor();
        await expect(reader.page.getByRole("button", { name: /Kill switch|Set percentage|Turn on/ }).count()).resolves.toBe(0);
        await expectAccessible(reader.page, "a launch, read token");
        await shot(reader.page, "7-launch-read-token");
        await reader.page.getByRole("button", { name: "Sign out" }).click();
        await reader.page.getByLabel("API token").waitFor();
        expect(await reader.page.evaluate(() => sessionStorage.length)).toBe(0);
      } finally {
        await reader.context.close();
      }
    });

    it("tells a new user what to do when a launch has no observations yet", async () => {
      await api("PUT", "/api/v1/flags/search-v3/launch", { percentage: 5 });
      await page.goto(`${url}/flags/search-v3`);
      await page.getByText("No observations in the last 1 hour").waitFor();
      await expect(page.locator(".empty").textContent()).resolves.toContain("darklaunch proxy --flag search-v3");
      await expectAccessible(page, "empty launch");
      await shot(page, "8-launch-empty");
    });

    it("ran every page under the CSP without a violation", () => {
      expect(cspViolations).toEqual([]);
      void context;
    });
  },
);
