import { MetricCounter } from "@darklaunch/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTolerance } from "./commands/metrics.js";
import { runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
const cli = (args: string[]) => runCli(args, { url: srv.url });
const MIN = 60_000;

beforeAll(async () => {
  srv = await startServer();
  await srv.createFlag({
    key: "checkout",
    variants: { on: true, off: false },
    offVariant: "off",
    enabled: true,
    fallthrough: {
      split: [
        { variant: "on", weight: 50 },
        { variant: "off", weight: 50 },
      ],
    },
  });
});
afterAll(async () => {
  await srv?.close();
});

describe("parseTolerance", () => {
  it("reads -2%, 2% and 0.02 alike, and refuses the rest", () => {
    expect([parseTolerance("-2%"), parseTolerance("2%"), parseTolerance("0.02"), parseTolerance("0")]).toEqual([0.02, 0.02, 0.02, 0]);
    for (const bad of ["", "abc", "150%", "2"]) expect(() => parseTolerance(bad)).toThrow(/how much worse/);
  });
});

describe("metrics", () => {
  it("adds, lists and removes a flag's metrics; analyze shows them", { timeout: 90_000 }, async () => {
    const added = await cli([
      "metrics",
      "add",
      "checkout",
      "--event",
      "purchase",
      "--kind",
      "conversion",
      "--direction",
      "up",
      "--tolerance",
      "-2%",
      "--critical",
    ]);
    expect(added.stderr).toBe("");
    expect(added.stdout).toBe(
      'purchase_conversion on flag checkout: conversion of "purchase", higher is better, may be 2% worse, critical (may roll back)\n',
    );
    const named = await cli([
      "metrics",
      "add",
      "checkout",
      "--event",
      "refund",
      "--kind",
      "count",
      "--direction",
      "down",
      "--name",
      "refunds",
    ]);
    expect(named.stdout).toMatch(/^refunds on flag checkout: count of "refund", lower is better, may be 0% worse, watched/);

    const listed = await cli(["metrics", "list", "checkout"]);
    expect(listed.stdout).toMatch(/METRIC\s+EVENT\s+KIND\s+DIRECTION\s+TOLERANCE\s+CRITICAL/);
    expect(listed.stdout).toMatch(/purchase_conversion\s+purchase\s+conversion\s+up\s+2%\s+yes/);
    expect(listed.stdout).toMatch(/refunds\s+refund\s+count\s+down\s+0%\s+watched/);

    const badKind = await cli(["metrics", "add", "checkout", "--event", "x", "--kind", "ratio", "--direction", "up"]);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toMatch(/--kind.*ratio.*conversion, count, value/s);
    const badName = await cli(["metrics", "add", "checkout", "--event", "x", "--kind", "count", "--direction", "up", "--name", "Bad Name"]);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/key/);

    // Windows as SDKs report them: dark converts 1 in 10 exposed subjects, baseline 1 in 5.
    const counter = new MetricCounter();
    const start = Math.floor(Date.now() / MIN) * MIN - 20 * MIN;
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 100; i++) {
        const variant = i % 2 === 0 ? "on" : "off";
        const subject = `m${minute}-s${i}`;
        counter.expose("checkout", variant, subject, start + minute * MIN);
        if (i % (variant === "on" ? 20 : 10) === 0 || (variant === "off" && i % 10 === 5)) {
          counter.track({ flag: "checkout", metric: "purchase_conversion", variant, subject }, undefined, start + minute * MIN);
        }
      }
    }
    await srv.server.context.metrics.record(counter.drain());
    const analyzed = await cli(["analyze", "checkout", "--since", "1h"]);
    expect(analyzed.stderr).toBe("");
    expect(analyzed.stdout).toMatch(/business metrics \(per exposed subject\):/);
    expect(analyzed.stdout).toMatch(
      /^checkout: REGRESSION \(split mode\)\n {2}purchase_conversion conversion 10\.0 % on dark vs 20\.0 % on baseline/,
    );
    expect(analyzed.stdout).toMatch(/purchase_conversion \*\s+conversion of purchase\s+20%\s+10%\s+-50%\s+higher better, -2% ok/);
    expect(analyzed.stdout).toMatch(/refunds\s+count of refund\s+0\s+0\s+-\s+lower better, no worse/);
    const json = JSON.parse((await cli(["analyze", "checkout", "--since", "1h", "--json"])).stdout);
    expect(json.metrics.map((m: { metric: string }) => m.metric)).toContain("business:purchase_conversion");

    expect((await cli(["metrics", "remove", "checkout", "refunds"])).stdout).toBe("removed metric refunds of flag checkout\n");
    const again = await cli(["metrics", "remove", "checkout", "refunds"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('"refunds" does not exist');
  });
});
