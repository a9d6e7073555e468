import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_CALLS, closedPort, runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
const cli = (args: string[], token?: string | null) => runCli(args, { url: srv.url, token });

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.close();
});

describe("enable / disable / status", () => {
  it("creates a release flag with the routing formula, then ramps it showing before → after", async () => {
    const created = await cli(["enable", "checkout-v2", "--percentage", "10"]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("Dark launch created for flag checkout-v2");
    expect(created.stdout).toContain('routing:     position = uint32_be(md5("checkout-v2:" + id)[0..4]) % 10000 / 100 < 10');

    const ramped = await cli(["enable", "checkout-v2", "-p", "25.5"]);
    expect(ramped.code).toBe(0);
    expect(ramped.stdout).toContain("percentage:  10% → 25.5%");
    expect(ramped.stdout).toContain("version:     1 → 2");

    const same = await cli(["enable", "checkout-v2", "-p", "25.5"]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("No change");
  });

  it("takes --bucket-by and --salt, and says that a new salt reshuffles subjects", async () => {
    const created = await cli(["enable", "wf-gate", "-p", "1", "--bucket-by", "workflowId", "--salt", ""]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("position = uint32_be(md5(workflowId)[0..4]) % 10000 / 100 < 1");
    const resalted = await cli(["enable", "wf-gate", "-p", "1", "--salt", "s2"]);
    expect(resalted.code).toBe(0);
    expect(resalted.stdout).toContain("reshuffles");
    expect(resalted.stdout).toContain('md5("s2:" + workflowId)');
  });

  it("says what the server refused: an archived flag, a variant named off", async () => {
    await cli(["enable", "shelved", "-p", "5"]);
    await cli(["flags", "archive", "shelved"]);
    const archived = await cli(["enable", "shelved", "-p", "10"]);
    expect(archived.code).toBe(1);
    expect(archived.stderr).toContain('flag "shelved" is archived; unarchive it to launch it: darklaunch flags unarchive shelved');
    const off = await cli(["enable", "new-flag", "-p", "10", "--variant", "off"]);
    expect(off.code).toBe(1);
    expect(off.stderr).toContain('variant: cannot be "off"');
  });

  it("rejects a bad percentage as a usage error (exit 2) before any request", async () => {
    for (const bad of ["150", "10.001"]) {
      // The URL points nowhere: a request would fail with exit 1, not 2.
      const result = await runCli(["enable", "x", "--percentage", bad], { url: "http://127.0.0.1:9" });
      expect(result.code, bad).toBe(2);
      expect(result.stderr).toContain("must be a percentage from 0 to 100 with at most two decimals");
    }
    const missing = await cli(["enable", "x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--percentage");
  });

  it("disables (kill switch) and says what that means; an unknown flag is exit 1", async () => {
    const off = await cli(["disable", "checkout-v2"]);
    expect(off.code).toBe(0);
    expect(off.stdout).toContain("enabled:  true → false");
    expect(off.stdout).toContain('"off" to every subject');
    const again = await cli(["disable", "checkout-v2"]);
    expect(again.stdout).toContain("already disabled");
    const unknown = await cli(["disable", "no-such-flag"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: flag "no-such-flag" does not exist');
    const get = await cli(["flags", "get", "no-such-flag"]);
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('flag "no-such-flag" does not exist');
  });

  it("status lists active launches as a table and as JSON", async () => {
    await cli(["enable", "checkout-v2", "-p", "30"]);
    const table = await cli(["status"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/FLAG\s+PERCENTAGE\s+ENABLED\s+VERSION\s+UPDATED\s+STALE/);
    expect(table.stdout).toMatch(/checkout-v2\s+30%\s+yes\s+\d+/);
    const json = JSON.parse((await cli(["status", "--json"])).stdout);
    expect(json.launches.find((l: { flag: string }) => l.flag === "checkout-v2")).toMatchObject({
      percentage: 30,
      enabled: true,
      stale: false,
    });
  });
});

describe("enable with several variants (stable / shadow / dark)", () => {
  it("creates the flag from --split, refuses a percentage that would drop shares, and shows the whole split before → after", async () => {
    const created = await cli(["enable", "search-split", "--split", "stable=50,shadow=40,dark=10"]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain('Dark launch created for flag search-split (variants stable/shadow/dark; "stable" when disabled)');
    expect(created.stdout).toContain("split:      stable 50% / shadow 40% / dark 10%");

    const refused = await cli(["enable", "search-split", "--percentage", "20", "--variant", "dark"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: flag "search-split" splits its traffic stable 50% / shadow 40% / dark 10%; a percentage changes a two-way split only and would drop the other variants\' shares; set every variant\'s share instead, e.g. darklaunch enable search-split --split stable=50,shadow=40,dark=10 (API: PUT /api/v1/flags/search-split/launch with "split")\n',
    );
    expect((await cli(["flags", "get", "search-split", "--json"])).stdout).toContain('"version": 1');

    const changed = await cli(["enable", "search-split", "--split", "stable=45,shadow=35,dark=20"]);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain("split:    stable 50% / shadow 40% / dark 10% → stable 45% / shadow 35% / dark 20%");
    const audit = await cli(["audit", "--flag", "search-split"]);
    expect(audit.stdout).toContain("split: stable 50% / shadow 40% / dark 10% → stable 45% / shadow 35% / dark 20%");
  });

  it("refuses a bad --split before any request (exit 2), naming the option", async () => {
    const cases: [string[], string][] = [
      [["--split", "stable=50,dark=40"], "the weights sum to 90, not 100"],
      [["--split", "stable=50.005,dark=49.995"], 'the weight of "stable" must be from 0 to 100 with at most two decimals'],
      [["--split", "stable=50,stable=50"], 'variant "stable" appears twice'],
      [["--split", "st able=100"], 'variant "st able" must start with a letter or digit'],
      [["--split", "stable"], '"stable" is not variant=weight'],
      [["--split", "stable=100", "--percentage", "10"], "give either --percentage P"],
      [["--split", "stable=100", "--variant", "dark"], "--variant goes with --percentage"],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["enable", "x", ...args], { url: "http://127.0.0.1:9" });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toContain(message);
      if (args.length === 2) expect(result.stderr).toContain("option '--split <shares>' argument");
    }
  });
});

describe("check", () => {
  it("explains each subject with position, verdict, reason, a what-if and a count", async () => {
    const file = join(srv.dir, "ids.txt");
    writeFileSync(file, "u1\n# a comment\n\nu2\nu3\n");
    const result = await cli(["check", "checkout-v2", "--ids-file", file, "--id", "u4", "--percentage", "100", "--attr", "country=NL"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/SUBJECT\s+POSITION\s+VERDICT\s+REASON\s+VARIANT\s+AT 100%\s+SUMMARY/);
    expect(result.stdout).toMatch(/u3\s+\d+\.\d\d\s+(include|exclude)\s+ROLLOUT_(IN|EX)CLUDED/);
    expect(result.stdout).toMatch(/\d of 4 subjects included at 30%/);
    expect(result.stdout).toContain("4 of 4 would be included at 100%");
    const json = JSON.parse((await cli(["check", "checkout-v2", "--id", "u1,u2", "--json"])).stdout);
    expect(json.results.map((r: { subject: string }) => r.subject)).toEqual(["u1", "u2"]);
    expect(json.results[0]).toHaveProperty("position");
  });

  it("needs at least one subject (exit 2) and a known flag (exit 1)", async () => {
    expect((await cli(["check", "checkout-v2"])).code).toBe(2);
    const unknown = await cli(["check", "nope", "--id", "u1"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('flag "nope" does not exist');
  });
});

describe("log and stats", () => {
  it("lists evaluations filtered by verdict (deny works as exclude) and counts them", async () => {
    for (const id of ["u1", "u2", "u3", "u4", "u5", "u6"]) await srv.evaluate("checkout-v2", id);
    const log = await cli(["log", "--flag", "checkout-v2", "--since", "1h", "--limit", "50"]);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/AT\s+FLAG\s+VERSION\s+SUBJECT\s+VERDICT\s+REASON/);
    expect(log.stdout.split("\n")[0]).toContain(
      "every evaluation the server made (evaluate API, OFREP) and samples of the excluded ones SDKs report",
    );
    const help = await cli(["log", "--help"]);
    expect(help.stdout).toContain("samples of the excluded evaluations SDKs report");
    expect(help.stdout).not.toMatch(/seed|policy/);
    const denied = JSON.parse((await cli(["log", "--verdict", "deny", "--json"])).stdout);
    expect(denied.evaluations.length).toBeGreaterThan(0);
    expect(denied.evaluations.every((e: { verdict: string }) => e.verdict === "exclude")).toBe(true);
    expect((await cli(["log", "--verdict", "maybe"])).code).toBe(2);

    const stats = await cli(["stats", "--flag", "checkout-v2", "--period", "1d"]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain(": 6");
    expect(stats.stdout).toContain("by reason");
    expect(stats.stdout).toContain("every evaluation: those the server made, plus every one SDKs counted and reported");
    const json = JSON.parse((await cli(["stats", "--json"])).stdout);
    expect(json.total).toBe(6);
    expect(json.byVerdict.include + json.byVerdict.exclude).toBe(6);
    expect((await cli(["stats", "--period", "yesterday"])).code).toBe(2);
  });
});

describe.concurrent("auth and connection errors", CLI_CALLS, () => {
  it("without a token: exit 1 and the server's message about the Authorization header", async () => {
    const result = await cli(["status"], null);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*Authorization/);
  });

  it("with a token of too narrow a scope: exit 1 and the 403 message", async () => {
    const read = await srv.token("read", "reader");
    const result = await cli(["enable", "checkout-v2", "-p", "40"], read);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('token "reader" has scope "read"; this call needs "write"');
    const tokens = await cli(["tokens", "list"], read);
    expect(tokens.code).toBe(1);
    expect(tokens.stderr).toContain('needs "admin"');
  });

  it("names the URL it cannot reach", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(["status"], { url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach the darklaunch server at ${url}`);
  });

  it("usage errors exit 2; help exits 0", async () => {
    expect((await cli(["frobnicate"])).code).toBe(2);
    expect((await cli(["status", "--bogus"])).code).toBe(2);
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("enable");
  });
});
