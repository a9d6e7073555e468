import { LatencySketch } from "@darklaunch/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offFlag, runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
const cli = (args: string[]) => runCli(args, { url: srv.url });

beforeAll(async () => {
  srv = await startServer();
  await srv.createFlag(offFlag("checkout-v2"));
});
afterAll(async () => {
  await srv?.close();
});

describe("ramp and analyze", () => {
  // Several runs of the real binary in a row: slow on a loaded machine.
  it("starts, shows, pauses and aborts a ramp, and prints the verdict", { timeout: 90_000 }, async () => {
    const started = await cli([
      "ramp",
      "start",
      "checkout-v2",
      "--steps",
      "1,5,25",
      "--min",
      "10m",
      "--max",
      "1h",
      "--on-inconclusive",
      "advance",
    ]);
    expect(started.stderr).toBe("");
    expect(started.stdout).toMatch(/^started ramp rmp_[0-9a-f]{12} on checkout-v2: ramp started at serve step 1 of 3 \(1 %\)/);

    const status = await cli(["ramp", "status", "checkout-v2"]);
    expect(status.stdout).toMatch(/status:\s+running/);
    expect(status.stdout).toMatch(/plan:\s+steps 1, 5, 25 %; min 10m, max 60m, warm-up 2m; on inconclusive advance/);

    const paused = await cli(["ramp", "pause", "checkout-v2", "--reason", "deploy freeze"]);
    expect(paused.stdout).toMatch(
      /^checkout-v2: paused; paused by .* because deploy freeze|^checkout-v2: paused; paused by .*deploy freeze/,
    );

    const dismissed = await cli(["ramp", "dismiss", "checkout-v2", "--reason", "noise"]);
    expect(dismissed.code).toBe(1);
    expect(dismissed.stderr).toMatch(/nothing to dismiss/);

    const analyzed = await cli(["analyze", "checkout-v2"]);
    expect(analyzed.stdout).toMatch(/^checkout-v2: INSUFFICIENT \(split mode, ramp rmp_[0-9a-f]{12} at 1 %\)/);
    expect(analyzed.stdout).toMatch(/METRIC\s+BASELINE\s+DARK/);
    const json = JSON.parse((await cli(["analyze", "checkout-v2", "--since", "1h", "--json"])).stdout);
    // Over a period nobody reported, the judge calls the missing minutes a data gap.
    expect(json).toMatchObject({ flag: "checkout-v2", state: "UNHEALTHY", ok: false, ramp: null });
    expect(json.why).toMatch(/minutes/);

    const aborted = await cli(["ramp", "abort", "checkout-v2"]);
    expect(aborted.stdout).toMatch(/^checkout-v2: aborted; aborted by .*; the flag is set to 0 %/);
  });

  it("names the peak a crossed harm side reached when its evidence has fallen since", async () => {
    await srv.createFlag(offFlag("failed-once"));
    const minute = 60_000;
    const start = Math.floor(Date.now() / minute) * minute - 55 * minute;
    const side = (errors: number) => {
      const sketch = new LatencySketch();
      for (let i = 0; i < 500; i++) sketch.record(10);
      return { requests: 500, errors, latency: sketch.toJSON(), reservoir: [10] };
    };
    // Shadow minutes: dark fails 4 % of 500 pairs for 10 minutes (harm crosses), then fails none of
    // them while stable fails 2 % for 40 (the e-value falls; the crossing stands).
    const windows = Array.from({ length: 50 }, (_, t) => {
      const [darkOnlyErr, baseOnlyErr] = t < 10 ? [20, 5] : [0, 10];
      return {
        flag: "failed-once",
        source: "proxy",
        route: "GET /",
        start: new Date(start + t * minute).toISOString(),
        baseline: side(baseOnlyErr),
        dark: side(darkOnlyErr),
        paired: { bothErr: 0, darkOnlyErr, baseOnlyErr, slower: 0, faster: 0, tie: 500, lost: 0 },
      };
    });
    await srv.postObservations(windows);

    const json = JSON.parse((await cli(["analyze", "failed-once", "--since", "1h", "--json"])).stdout);
    const errors = json.metrics.find((m: { metric: string }) => m.metric === "errors");
    expect(errors.harm).toMatchObject({ crossed: true });
    expect(errors.harm.maxE).toBeGreaterThanOrEqual(errors.harm.threshold);
    expect(errors.harm.e).toBeLessThan(errors.harm.threshold);
    const analyzed = await cli(["analyze", "failed-once", "--since", "1h"]);
    expect(analyzed.stdout).toMatch(/\nerrors \*.* [\d.e+-]+ \/ 80 +crossed at [\d.e+]+ /);
    expect(analyzed.stdout).toMatch(/; evidence [\d.e ]+ ≥ 80 \(now [\d.]+\) → rollback\n/);
  });
});
