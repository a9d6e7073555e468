import type { RampRecord } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import { dataMinuteOf, RampClock } from "../ramps/ramp-clock.js";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";
import { range, window } from "./test-windows.js";

const MINUTE_MS = 1_000;
const iso = (ms: number) => new Date(ms).toISOString();

const post = (t: TestServer, windows: unknown[]) => t.request("POST", "/api/v1/observations", { windows }, { scope: "sdk" });

async function darkRequests(t: TestServer, flag: string, minute: number): Promise<number> {
  const read = await t.request("GET", `/api/v1/flags/${flag}/observations?since=${iso(minute)}&until=${iso(minute + 60_000)}`, undefined, {
    scope: "read",
  });
  expect(read.status, JSON.stringify(read.body)).toBe(200);
  return read.body.totals.dark.requests as number;
}

describe.each(STORE_FACTORIES)("observations on a server with short minutes ($name)", (factory) => {
  let t: TestServer | undefined;
  useTestServer(
    factory,
    async (server) => {
      t = server;
      for (const key of ["sm-free", "sm-ramp"]) await t?.request("POST", "/api/v1/flags", testFlag(key));
    },
    { minuteMs: MINUTE_MS },
  );

  it("takes window starts of its minute, answers its minute, and names the field of a start that is not one", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    // A period inside the last hour that is not a whole minute.
    const period = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000 + 7_000;
    const first = await post(t, [window("sm-free", period, { dark: range(3) }), window("sm-free", period + MINUTE_MS, { dark: range(2) })]);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toEqual({ accepted: 2, skipped: [], minuteMs: MINUTE_MS });
    // Under no ramp, the periods of a minute merge into that minute.
    expect(await darkRequests(t, "sm-free", period - 7_000)).toBe(5);

    const refused = await post(t, [{ ...window("sm-free", period), start: iso(period + 500) }]);
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([
      {
        path: "windows[0].start",
        message: "must be the start of one of this server's 1000 ms minutes (a multiple of 1000 ms since the epoch)",
      },
    ]);
  });

  it("stores each period of a flag under a ramp at that ramp's data minute, so the ramp reads one period as one minute", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const server = t;
    const started = await t.request("POST", "/api/v1/flags/sm-ramp/ramp", {
      plan: { steps: [1, 50, 100], minStep: "5m", maxStep: "30m", warmup: "1m" },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const ramp = started.body.ramp as RampRecord;
    expect(ramp.minuteMs).toBe(MINUTE_MS);
    const clock = new RampClock(ramp);
    const first = Math.ceil(Date.parse(ramp.startedAt) / MINUTE_MS) * MINUTE_MS;
    const periods = [first, first + MINUTE_MS, first + 2 * MINUTE_MS];
    const posted = await post(
      t,
      periods.map((p, i) => window("sm-ramp", p, { dark: range(i + 1) })),
    );
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const minutes = periods.map((p) => dataMinuteOf(clock, p));
    // Three periods a second apart are three consecutive ramp minutes.
    expect(minutes.map((m) => m - (minutes[0] as number))).toEqual([0, 60_000, 120_000]);
    for (const [i, minute] of minutes.entries()) expect(await darkRequests(t, "sm-ramp", minute)).toBe(i + 1);
    // What the judge reads: the ramp's minutes, each as soon as the ramp's clock has passed it.
    const deadline = Date.now() + 20_000;
    let starts: string[] = [];
    while (!minutes.every((m) => starts.includes(iso(m)))) {
      if (Date.now() > deadline) throw new Error(`the analysis never showed ${minutes.map(iso)}; it shows ${starts}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const analysis = await server.request("GET", "/api/v1/flags/sm-ramp/analysis", undefined, { scope: "read" });
      expect(analysis.status, JSON.stringify(analysis.body)).toBe(200);
      starts = (analysis.body.series as { start: string }[]).map((m) => m.start);
    }
  });
});
