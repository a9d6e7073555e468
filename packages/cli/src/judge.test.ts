import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offFlag, runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
const cli = (args: string[]) => runCli(args, { url: srv.url });

beforeAll(async () => {
  srv = await startServer();
  for (const key of ["tuned", "ramped"]) await srv.createFlag(offFlag(key));
});
afterAll(async () => {
  await srv?.close();
});

describe("judge settings", () => {
  // Several runs of the real binary in a row: slow on a loaded machine.
  it("shows, sets (options, a file, merged), refuses bad values naming the field, and resets", { timeout: 120_000 }, async () => {
    const shown = await cli(["judge", "show", "tuned"]);
    expect(shown.stderr).toBe("");
    expect(shown.stdout).toMatch(/^SETTING\s+VALUE\s+FROM/);
    expect(shown.stdout).toMatch(/alpha\s+0\.05\s+default/);
    expect(shown.stdout).toMatch(/tuned: every setting is a default/);

    const set = await cli([
      "judge",
      "set",
      "tuned",
      "--alpha",
      "0.01",
      "--warmup",
      "3",
      "--critical",
      "errors,latencyP99",
      "--tolerance",
      "errors=1.2",
      "--tolerance",
      "latencyTail=1.3",
    ]);
    expect(set.stderr).toBe("");
    expect(set.stdout).toMatch(
      /^tuned: judge settings set \(alpha, warmupMinutes, critical, tolerances\.errors, tolerances\.latencyTail\)/,
    );

    const dir = await mkdtemp(join(tmpdir(), "darklaunch-judge-"));
    const file = join(dir, "settings.json");
    writeFileSync(file, JSON.stringify({ health: { gapMinutes: 7 }, tolerances: { errors: 1.15 } }));
    const fromFile = await cli(["judge", "set", "tuned", "--file", file, "--json"]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const view = JSON.parse(fromFile.stdout);
    // Merged over what the flag had: the earlier options stay, the file's fields win.
    expect(view.settings).toMatchObject({
      alpha: 0.01,
      warmupMinutes: 3,
      health: { gapMinutes: 7 },
      tolerances: { errors: 1.15, latencyTail: 1.3 },
    });
    expect(view.set.sort()).toEqual([
      "alpha",
      "critical",
      "health.gapMinutes",
      "tolerances.errors",
      "tolerances.latencyTail",
      "warmupMinutes",
    ]);

    const bad = await cli(["judge", "set", "tuned", "--tolerance", "errors=0.5"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/tolerances\.errors: must be at least 1/);
    const unchanged = JSON.parse((await cli(["judge", "show", "tuned", "--json"])).stdout);
    expect(unchanged.settings.tolerances.errors).toBe(1.15);
    const usage = await cli(["judge", "set", "tuned", "--alpha", "lots"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/must be a number/);
    expect((await cli(["judge", "set", "tuned"])).stderr).toMatch(/nothing to set/);

    const replaced = await cli(["judge", "set", "tuned", "--replace", "--alpha", "0.02", "--json"]);
    expect(JSON.parse(replaced.stdout).set).toEqual(["alpha"]);
    const after = await cli(["judge", "show", "tuned"]);
    expect(after.stdout).toMatch(/alpha\s+0\.02\s+flag/);
    expect(after.stdout).toMatch(/warmupMinutes\s+2\s+default/);

    const reset = await cli(["judge", "reset", "tuned"]);
    expect(reset.stdout).toMatch(/^tuned: every judge setting is a default again/);
    expect((await cli(["judge", "show", "tuned"])).stdout).toMatch(/alpha\s+0\.05\s+default/);
    expect((await cli(["judge", "show", "nope"])).code).toBe(1);
  });

  it("sets the error-rate objective as a percentage or a share, and refuses one out of range", { timeout: 60_000 }, async () => {
    const set = await cli(["judge", "set", "ramped", "--error-objective", "1%", "--json"]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout).settings.errorRateObjective).toBe(0.01);
    const share = await cli(["judge", "set", "ramped", "--error-objective", "0.002", "--json"]);
    expect(JSON.parse(share.stdout).settings.errorRateObjective).toBe(0.002);
    const bad = await cli(["judge", "set", "ramped", "--error-objective", "150%"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/errorRateObjective: must be below 1/);
    expect((await cli(["judge", "reset", "ramped"])).code).toBe(0);
  });

  it("shows in the ramp's status which settings come from the flag", { timeout: 60_000 }, async () => {
    expect((await cli(["judge", "set", "ramped", "--alpha", "0.02"])).code).toBe(0);
    expect((await cli(["ramp", "start", "ramped", "--min", "1h", "--max", "2h"])).code).toBe(0);
    const status = await cli(["ramp", "status", "ramped"]);
    expect(status.stdout).toMatch(/judge:\s+alpha 0\.02 \(flag\)/);
  });
});
