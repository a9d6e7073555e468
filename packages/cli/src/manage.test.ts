import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_CALLS, runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
const cli = (args: string[], token?: string | null) => runCli(args, { url: srv.url, token });

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.close();
});

describe.concurrent("flags", CLI_CALLS, () => {
  it("creates from YAML, lists, gets, archives, unarchives and deletes", async () => {
    const file = join(srv.dir, "flag.yaml");
    writeFileSync(
      file,
      [
        "key: search-v2",
        "description: New search",
        "tags: [search]",
        "variants: { on: true, off: false }",
        "offVariant: off",
        "enabled: true",
        "fallthrough: { split: [{ variant: on, weight: 5 }, { variant: off, weight: 95 }] }",
      ].join("\n"),
    );
    const created = await cli(["flags", "create", "-f", file]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("created flag search-v2 (version 1, enabled, rollout 5%)");
    expect((await cli(["flags", "create", "-f", file])).code).toBe(1);

    const list = await cli(["flags", "list", "--tag", "search"]);
    expect(list.stdout).toMatch(/search-v2\s+release\s+yes\s+5%\s+1\s+search/);
    const json = JSON.parse((await cli(["flags", "list", "--json"])).stdout);
    expect(json.flags.map((f: { key: string }) => f.key)).toContain("search-v2");
    const got = await cli(["flags", "get", "search-v2"]);
    expect(got.stdout).toContain("description: New search");
    expect(JSON.parse((await cli(["flags", "get", "search-v2", "--json"])).stdout).percentage).toBe(5);

    expect((await cli(["flags", "archive", "search-v2"])).stdout).toContain("archived flag search-v2");
    expect((await cli(["flags", "list", "--json"])).stdout).not.toContain("search-v2");
    expect((await cli(["flags", "list", "--state", "archived"])).stdout).toContain("search-v2 (archived)");
    expect((await cli(["flags", "unarchive", "search-v2"])).code).toBe(0);

    const stale = await cli(["flags", "delete", "search-v2", "--if-version", "1"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("not 1");
    expect((await cli(["flags", "delete", "search-v2"])).stdout).toContain("deleted flag search-v2");
    expect((await cli(["flags", "delete", "search-v2"])).code).toBe(1);
  });

  it("prints each invalid field of a rejected flag with its path", async () => {
    const file = join(srv.dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        key: "bad flag",
        variants: { on: true },
        offVariant: "off",
        fallthrough: { split: [{ variant: "on", weight: 50 }] },
      }),
    );
    const result = await cli(["flags", "create", "-f", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*invalid/);
    expect(result.stderr).toMatch(/\n {2}key: must start with a letter or digit/);
    expect(result.stderr).toMatch(/\n {2}fallthrough\.split: weights sum to 50, not 100/);
  });
});

describe.concurrent("segments and overrides", CLI_CALLS, () => {
  it("creates a segment, adds and removes ids (--id and --ids-file), lists it", async () => {
    const file = join(srv.dir, "beta.txt");
    writeFileSync(file, "b1\nb2\nb3\n");
    const created = await cli(["segments", "create", "beta", "--description", "beta testers", "--ids-file", file]);
    expect(created.stdout).toContain("created segment beta with 3 ids");
    expect((await cli(["segments", "add", "beta", "--id", "b4", "--id", "b1"])).stdout).toContain(
      "added 1 id to segment beta (1 already in it); it now holds 4",
    );
    expect((await cli(["segments", "remove", "beta", "--ids-file", file])).stdout).toContain(
      "removed 3 ids from segment beta; it now holds 1",
    );
    expect((await cli(["segments", "add", "beta"])).code).toBe(2);
    expect((await cli(["segments", "add", "nope", "--id", "x"])).code).toBe(1);
    const list = await cli(["segments", "list"]);
    expect(list.stdout).toMatch(/beta\s+1\s+0\s+\d+\s+\S+ \S+\s+beta testers/);
    expect(JSON.parse((await cli(["segments", "list", "--json"])).stdout).segments[0].idCount).toBe(1);
    expect((await cli(["segments", "ids", "beta"])).stdout).toBe("b4\n");
  });

  it("opts subjects in and out of a flag and lists the overrides", async () => {
    await cli(["enable", "checkout-v2", "-p", "0"]);
    expect((await cli(["optin", "checkout-v2", "--id", "vip1"])).stdout).toContain("vip1 opted in to flag checkout-v2");
    expect((await cli(["optout", "checkout-v2", "--id", "grumpy"])).stdout).toContain("grumpy opted out of flag checkout-v2");
    const check = JSON.parse((await cli(["check", "checkout-v2", "--id", "vip1,grumpy", "--json"])).stdout);
    expect(check.results.map((r: { verdict: string; reason: string }) => [r.verdict, r.reason])).toEqual([
      ["include", "OVERRIDE"],
      ["exclude", "OVERRIDE"],
    ]);
    const list = await cli(["overrides", "checkout-v2"]);
    expect(list.stdout).toMatch(/grumpy\s+opt-out/);
    expect((await cli(["optin", "checkout-v2", "--id", "vip1", "--clear"])).stdout).toContain("removed the override of vip1");
    expect(JSON.parse((await cli(["overrides", "checkout-v2", "--json"])).stdout).overrides).toHaveLength(1);
    expect((await cli(["optin", "checkout-v2"])).code).toBe(2);
    expect((await cli(["optin", "nope", "--id", "u1"])).code).toBe(1);
  });
});

describe.concurrent("tokens and audit", CLI_CALLS, () => {
  it("creates a token (secret shown once), lists and revokes it; a revoked token is refused", async () => {
    const created = JSON.parse((await cli(["tokens", "create", "--name", "ci", "--scope", "write", "--json"])).stdout);
    expect(created.secret).toMatch(/^dl_/);
    const list = await cli(["tokens", "list"]);
    expect(list.stdout).toMatch(new RegExp(`${created.token.id}\\s+ci\\s+write`));
    expect(list.stdout).not.toContain(created.secret);
    expect((await cli(["status"], created.secret)).code).toBe(0);
    expect((await cli(["tokens", "revoke", created.token.id])).stdout).toContain("revoked token ci");
    const refused = await cli(["status"], created.secret);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("revoked");
    expect((await cli(["tokens", "create", "--name", "x", "--scope", "god"])).code).toBe(2);
  });

  it("shows who changed a flag and what changed", async () => {
    await cli(["enable", "audited", "-p", "10"]);
    await cli(["enable", "audited", "-p", "20"]);
    const result = await cli(["audit", "--flag", "audited"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/admin.*flag\.rollout\s+flag audited\s+percentage: 10% → 20%/);
    expect(result.stdout).toMatch(/flag\.create\s+flag audited\s+created/);
    const json = JSON.parse((await cli(["audit", "--flag", "audited", "--json"])).stdout);
    expect(json.entries).toHaveLength(2);
  });
});

describe.concurrent("login profile", CLI_CALLS, () => {
  it("saves URL and token (mode 0600) and uses them when no token is given, only for that URL", async () => {
    const config = join(srv.dir, "profile", "config.json");
    const bad = await runCli(["login", "--url", srv.url, "--token", "dl_wrong"], { token: null, config });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("refused the token");

    const login = await runCli(["login", "--url", srv.url, "--token", "dl_admin_cli-test-secret-0123456789"], { token: null, config });
    expect(login.code).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);

    const status = await runCli(["status", "--json"], { token: null, config });
    expect(status.code).toBe(0);
    // Another server URL does not get the saved token.
    const elsewhere = await runCli(["status", "--url", srv.url.replace("127.0.0.1", "localhost")], { token: null, config });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("Authorization");

    expect((await runCli(["logout"], { token: null, config })).stdout).toContain("removed the profile");
    expect((await runCli(["status"], { token: null, config, url: srv.url })).code).toBe(1);
  });
});
