import { join } from "node:path";
import { LatencySketch, type ObservationWindow, type RampRecord, type SideWindow } from "@darklaunch/core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserSuite,
  callApi,
  expectAccessible,
  shot as fullShot,
  MISSING,
  SHOTS,
  SKIP_BROWSER,
  signIn,
  startBrowserSuite,
} from "./test-browser.js";

/**
 * The launch page in a real browser (Debian's chromium via playwright-core) against a real server
 * with a short minute: a ramp started from the page advances on posted traffic the judge calls
 * SAFE, is paused and resumed from the page (the API agrees), a verdict is dismissed with a reason,
 * a read token is offered no action, and axe-core finds no serious violation. Screenshots go to the
 * folder the suite prints.
 */

const ADMIN = "dl_admin_launch-page-browser-test-0123456789";
/** One ramp minute in real milliseconds: a step of a few minutes lasts a few seconds. */
const MINUTE_MS = 1000;
const WINDOW_MINUTE = 60_000;
const RAMPED = "search-v3";
const DISMISSED = "pricing-v2";
/** Rolled out without a ramp, with dark failing 2 % of its requests: the error budget burn's flag. */
const BURNING = "checkout-v4";
/** Rolled out at 50 % without a ramp: dark failed for ten minutes, then did better than stable. */
const RECOVERED = "cart-v2";

/** One side of a minute: `requests` spread over 10–109 ms, `errors` of them failed. */
function side(requests: number, errors: number): SideWindow {
  const sketch = new LatencySketch();
  for (let i = 0; i < 100; i++) {
    const weight = Math.floor(requests / 100) + (i < requests % 100 ? 1 : 0);
    if (weight > 0) sketch.record(10 + i, weight);
  }
  return { requests, errors, latency: sketch.toJSON(), reservoir: requests === 0 ? [] : [10, 50, 100] };
}

describe.skipIf(SKIP_BROWSER)(
  `launch page in chromium${SKIP_BROWSER ? ` (skipped: ${MISSING.join("; ")})` : ""}`,
  { timeout: 120_000 },
  () => {
    let suite: BrowserSuite | undefined;
    let url: string;
    let browser: Browser;
    let page: Page;
    let readToken = "";
    let reporting = true;
    let reporter: Promise<void> = Promise.resolve();

    async function api<T>(method: string, path: string, body?: unknown, token = ADMIN): Promise<T> {
      return callApi<T>(url, token, method, path, body);
    }
    const ramp = async (flag: string) => (await api<{ ramp: RampRecord }>("GET", `/api/v1/flags/${flag}/ramp`)).ramp;

    /** Polls a condition with a generous deadline (no fixed sleep decides anything). */
    async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, ms = 60_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 500)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    /**
     * Reports healthy split-mode traffic for the ramp as a proxy with `--minute-ms` does: one window
     * per complete period of the server's short minute, stamped with the period's real start (the
     * server stores it at the ramp's data minute), one period behind, each split as the ramp had the
     * flag at the start of the ramp minute that period counts in.
     */
    async function reportTraffic(flag: string): Promise<void> {
      let next: number | undefined;
      while (reporting) {
        const r = await ramp(flag);
        const period = r.minuteMs;
        const start = Date.parse(r.startedAt);
        const scale = WINDOW_MINUTE / period;
        next ??= Math.floor(start / period) * period;
        const windows: ObservationWindow[] = [];
        while (next + 2 * period <= Date.now() && windows.length < 200) {
          // The ramp minute this period counts in, back on the real clock: what the ramp had then.
          const dataMinute = Math.floor((start + (next - start) * scale) / WINDOW_MINUTE) * WINDOW_MINUTE;
          const real = start + (dataMinute - start) / scale;
          let share = (r.state.history[0]?.target ?? r.state.target).percentage / 100;
          for (const event of r.state.history) if (event.at <= real) share = event.target.percentage / 100;
          const dark = Math.round(1_000_000 * share);
          const baseline = 1_000_000 - dark;
          windows.push({
            flag,
            source: "proxy",
            route: "GET /search",
            start: new Date(next).toISOString(),
            baseline: side(baseline, Math.round(baseline * 0.01)),
            dark: side(dark, Math.round(dark * 0.01)),
            comparison: { total: 200, matched: 196, mismatched: 4, noiseTotal: 100, fields: { "body.rank": 4 }, noise: { "body.rank": 2 } },
            samples: [],
          });
          next += period;
        }
        if (windows.length > 0) await api("POST", "/api/v1/observations", { windows });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    /** The whole page, and its first screen at full size (what a person sees before scrolling). */
    async function shot(p: Page, name: string): Promise<void> {
      await fullShot(p, name);
      await p.screenshot({ path: join(SHOTS, `${name}-first-screen.png`) });
    }

    async function signedInPage(token: string, path: string): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const p = await context.newPage();
      p.setDefaultTimeout(20_000);
      await signIn(p, url, token);
      await p.getByRole("button", { name: "Sign out" }).waitFor();
      await p.goto(`${url}${path}`);
      return p;
    }

    beforeAll(async () => {
      suite = await startBrowserSuite("launch-page", ADMIN, MINUTE_MS);
      ({ url, browser } = suite);
      readToken = (await api<{ secret: string }>("POST", "/api/v1/tokens", { name: "read person", scope: "read" })).secret;
      for (const key of [RAMPED, DISMISSED, BURNING, RECOVERED]) {
        await api("POST", "/api/v1/flags", {
          key,
          description: `${key} dark launch`,
          variants: { on: true, off: false },
          offVariant: "off",
          enabled: true,
          fallthrough: { variant: "off" },
        });
      }
      page = await signedInPage(ADMIN, `/flags/${RAMPED}`);
    }, 120_000);

    afterAll(async () => {
      reporting = false;
      await reporter.catch(() => {});
      await suite?.close();
    });

    it("starts a ramp with its plan from the page and shows its step advance on SAFE verdicts", async () => {
      await page.getByText("Start a ramp…").click();
      await page.getByLabel("Steps (% served from dark)").fill("1, 5, 25, 50, 100");
      await page.getByLabel("Min per step").fill("3m");
      await page.getByLabel("Max per step").fill("30m");
      await page.getByLabel("Warm-up", { exact: true }).fill("1m");
      await page.getByLabel("When inconclusive").selectOption("hold");
      await page.getByRole("button", { name: "Start ramp" }).click();
      await expect.poll(() => page.getByTestId("ramp-status").textContent()).toContain("running · serve step 1 of 5");
      const started = await ramp(RAMPED);
      expect(started.plan).toMatchObject({ steps: [1, 5, 25, 50, 100], minStep: 3, maxStep: 30, warmup: 1, onInconclusive: "hold" });
      expect(started.createdBy).not.toBe("");

      reporter = reportTraffic(RAMPED);
      // The page follows the ramp: step 2 shows without a reload once the judge calls step 1 SAFE.
      await page
        .getByTestId("ramp-status")
        .getByText(/serve step [2-5] of 5/)
        .waitFor({ timeout: 60_000 });
      // "Ramp started." described step 1: it goes once the page shows the step advanced.
      await expect.poll(() => page.getByTestId("ramp-message").count()).toBe(0);
      const advanced = await ramp(RAMPED);
      const advance = advanced.state.history.find((e) => e.kind === "advance");
      expect(advance?.verdict?.state).toBe("SAFE");
      // The timeline names the verdict that ended step 1.
      await expect.poll(() => page.getByTestId("ramp-timeline").textContent()).toMatch(/serve 1 %.*advance.*SAFE/s);
      await page.getByTestId("tile-errors").waitFor();
      await expect.poll(() => page.getByTestId("criteria").textContent()).toContain("Warm-up done");
      await page.getByTestId("route-breakdown").getByText("GET /search").first().waitFor();
      await shot(page, "launch-page-ramp-running");
      await expectAccessible(page, "launch page, ramp running");
    });

    it("pauses and resumes the ramp from the page, and the API agrees", async () => {
      await page.getByRole("button", { name: "Pause ramp" }).click();
      await until(
        () => ramp(RAMPED),
        (r) => r.status === "paused",
        "the ramp paused",
      );
      await expect.poll(() => page.getByTestId("ramp-status").textContent()).toContain("paused");
      await page.getByRole("button", { name: "Resume ramp" }).waitFor();
      expect(await page.getByRole("button", { name: "Pause ramp" }).count()).toBe(0);
      await shot(page, "launch-page-ramp-paused");
      await expectAccessible(page, "launch page, ramp paused");

      await page.getByRole("button", { name: "Resume ramp" }).click();
      const resumed = await until(
        () => ramp(RAMPED),
        (r) => r.status !== "paused",
        "the ramp resumed",
      );
      expect(["running", "completed"]).toContain(resumed.status);
      expect(resumed.state.history.map((e) => e.kind)).toEqual(expect.arrayContaining(["pause", "resume"]));
      await expect.poll(() => page.getByTestId("ramp-status").textContent()).not.toContain("paused");
    });

    it("dismisses a verdict with a reason", async () => {
      // No traffic: the judge's verdict holds the ramp (INSUFFICIENT or UNHEALTHY), which a person may dismiss.
      await api("POST", `/api/v1/flags/${DISMISSED}/ramp`, { plan: { steps: [5, 50], minStep: "2m", maxStep: "20m", warmup: "1m" } });
      await until(
        () => ramp(DISMISSED),
        (r) => r.state.lastVerdict !== null,
        "a first verdict",
      );
      await page.goto(`${url}/flags/${DISMISSED}`);
      const reason = page.getByLabel(/Reason to dismiss the (INSUFFICIENT|UNHEALTHY|REGRESSION) verdict/);
      await reason.fill("the staging reporter is down; judged by the load test instead");
      await shot(page, "launch-page-dismiss");
      await page.getByRole("button", { name: "Dismiss verdict" }).click();
      await expect.poll(() => page.getByTestId("ramp-message").textContent()).toContain("Verdict dismissed.");
      const dismissed = await ramp(DISMISSED);
      expect(dismissed.state.dismissed.map((d) => d.reason)).toEqual(["the staging reporter is down; judged by the load test instead"]);
      expect(dismissed.state.history.some((e) => e.kind === "dismiss")).toBe(true);
    });

    it("changes the judge settings from the panel, shows the server's message for a bad value, and the burn", async () => {
      const flag = await api<{ version: number }>("GET", `/api/v1/flags/${BURNING}`);
      await api("PUT", `/api/v1/flags/${BURNING}/launch`, { percentage: 10, version: flag.version });
      const minute = Math.floor(Date.now() / WINDOW_MINUTE) * WINDOW_MINUTE - WINDOW_MINUTE;
      await api("POST", "/api/v1/observations", {
        windows: [
          {
            flag: BURNING,
            source: "proxy",
            route: "POST /checkout",
            start: new Date(minute).toISOString(),
            baseline: side(9000, 45),
            dark: side(1000, 20),
            comparison: { total: 100, matched: 99, mismatched: 1, noiseTotal: 50, fields: { "body.total": 1 }, noise: {} },
            samples: [],
          },
        ],
      });
      await page.goto(`${url}/flags/${BURNING}`);
      const panel = page.getByTestId("judge-settings");
      await panel.locator('[data-setting="errorRateObjective"]').getByText("not set").waitFor();
      // No objective: no burn to show.
      expect(await page.getByTestId("summary-budget").count()).toBe(0);

      await panel.getByText("Change the flag's settings…").click();
      await panel.getByLabel("Error tolerance (× baseline)").fill("1.3");
      await panel.getByLabel("Error-rate objective (%)").fill("1");
      await panel.getByRole("button", { name: "Save settings" }).click();
      await expect.poll(() => panel.getByTestId("judge-message").textContent()).toContain("Saved to the flag.");
      const saved = await api<{ settings: { tolerances: { errors: number }; errorRateObjective?: number }; set: string[] }>(
        "GET",
        `/api/v1/flags/${BURNING}/judge`,
      );
      expect(saved.settings.tolerances.errors).toBe(1.3);
      expect(saved.settings.errorRateObjective).toBe(0.01);
      expect(saved.set.sort()).toEqual(["errorRateObjective", "tolerances.errors"]);
      await expect
        .poll(() => panel.locator('[data-setting="tolerances.errors"]').textContent())
        .toBe("Tolerance: errors1.3×set on the flag");
      // Dark fails 2 % against an objective of 1 %: twice the budget, said in words.
      await expect.poll(() => page.getByTestId("summary-budget").textContent()).toContain("2.00×");
      expect(await page.getByTestId("summary-budget").textContent()).toContain("over budget");
      await panel.scrollIntoViewIfNeeded();
      await shot(page, "launch-page-judge-settings");
      await panel.screenshot({ path: join(SHOTS, "judge-settings-panel.png") });
      await expectAccessible(page, "launch page, judge settings");

      await panel.getByLabel("Error tolerance (× baseline)").fill("0.5");
      await panel.getByRole("button", { name: "Save settings" }).click();
      const problem = panel.getByRole("alert").filter({ hasText: "tolerances.errors" });
      await expect.poll(() => problem.textContent()).toContain("tolerances.errors: must be at least 1");
      expect(await panel.getByLabel("Error tolerance (× baseline)").getAttribute("aria-invalid")).toBe("true");
      const unchanged = await api<{ settings: { tolerances: { errors: number } } }>("GET", `/api/v1/flags/${BURNING}/judge`);
      expect(unchanged.settings.tolerances.errors).toBe(1.3);
      await panel.screenshot({ path: join(SHOTS, "judge-settings-panel-bad-value.png") });
      await expectAccessible(page, "launch page, judge settings with a bad value");

      // The launches list's compact summary shows the burn too.
      await page.goto(url);
      const row = page.locator(`tr[data-flag="${BURNING}"]`);
      await expect.poll(() => row.getByTestId("summary-burn").textContent()).toContain("2.00×");
      expect(await row.getByTestId("summary-burn").textContent()).toContain("over budget");
      await shot(page, "launches-list-burn");
    });

    it("shows a harm crossing that stands though its evidence has fallen since, with the peak", async () => {
      const flag = await api<{ version: number }>("GET", `/api/v1/flags/${RECOVERED}`);
      await api("PUT", `/api/v1/flags/${RECOVERED}/launch`, { percentage: 50, version: flag.version });
      // Fifty minutes of the last hour at 50 %: dark fails 3 % for the first three (harm crosses),
      // then 1 % against stable's 2 % (its e-value falls; the crossing stands, anytime-valid).
      const first = Math.floor(Date.now() / WINDOW_MINUTE) * WINDOW_MINUTE - 52 * WINDOW_MINUTE;
      const windows = Array.from({ length: 50 }, (_, t) => ({
        flag: RECOVERED,
        source: "proxy" as const,
        route: "GET /cart",
        start: new Date(first + t * WINDOW_MINUTE).toISOString(),
        baseline: side(2000, t < 3 ? 20 : 40),
        dark: side(2000, t < 3 ? 60 : 20),
        comparison: { total: 0, matched: 0, mismatched: 0, noiseTotal: 0, fields: {}, noise: {} },
        samples: [],
      }));
      await api("POST", "/api/v1/observations", { windows });
      await page.goto(`${url}/flags/${RECOVERED}`);
      const tile = page.getByTestId("tile-errors");
      await expect.poll(() => tile.textContent()).toMatch(/crossed at \d/);
      const harm = tile.getByRole("meter", { name: "errors: evidence toward rollback" });
      expect(await harm.getAttribute("value")).toBe("1");
      expect(await harm.getAttribute("aria-valuetext")).toMatch(/^e [\d.]+ of \d+ ✓ crossed at [\d.e]+$/);
      await expect.poll(() => page.getByTestId("why-sentence").textContent()).toMatch(/evidence [\d.e ]+ ≥ \d+ \(now [\d.]+\)/);
      // Proven safe since, but the crossing stands: the checklist does not tick safety.
      await expect.poll(() => page.getByTestId("criteria").textContent()).toContain("Errors crossed toward rollback");
      await tile.screenshot({ path: join(SHOTS, "metric-tile-crossed-then-fallen.png") });
      await shot(page, "launch-page-crossed-then-fallen");
      await expectAccessible(page, "launch page, a crossing whose evidence fell since");
    });

    it("offers a read token no action on the launch page", async () => {
      const reader = await signedInPage(readToken, `/flags/${RAMPED}`);
      await reader
        .getByTestId("ramp-status")
        .getByText(/serve step/)
        .waitFor();
      await reader.getByTestId("why-sentence").waitFor();
      await reader.getByText("Your token can read only").waitFor();
      for (const name of [/Pause ramp/, /Resume ramp/, /Promote/, /Abort/, /Start ramp/, /Dismiss/, /Set percentage/, /Kill switch/]) {
        expect(await reader.getByRole("button", { name }).count(), String(name)).toBe(0);
      }
      expect(await reader.getByText("Start a ramp…").count()).toBe(0);
      await shot(reader, "launch-page-read-token");
      await expectAccessible(reader, "launch page, read token");
      await reader.context().close();
    });
  },
);
