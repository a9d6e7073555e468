import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BIN, closedPort, runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
const cli = (args: string[], token?: string | null) => runCli(args, { url: srv.url, token });

beforeAll(async () => {
  srv = await startServer();
  await cli(["enable", "checkout-v2", "-p", "10"]);
  await cli(["enable", "old-thing", "-p", "100"]);
  await cli(["flags", "archive", "old-thing"]);
  await cli(["segments", "create", "beta", "--id", "b1,b2", "--description", "beta testers"]);
  await cli(["optin", "checkout-v2", "--id", "vip"]);
});
afterAll(async () => {
  await srv?.close();
});

async function exported(): Promise<{ text: string; doc: Record<string, { key?: string; [k: string]: unknown }[]> }> {
  const result = await cli(["export"]);
  expect(result.code).toBe(0);
  return { text: result.stdout, doc: parse(result.stdout) };
}

describe("export and apply (config as code)", () => {
  it("exports flags, segments with ids and overrides as YAML; applying it back changes nothing", async () => {
    const { text, doc } = await exported();
    expect(doc.flags?.map((f) => f.key)).toEqual(["checkout-v2", "old-thing"]);
    expect(doc.flags?.[1]).toMatchObject({ archived: true });
    expect(doc.segments?.[0]).toMatchObject({ key: "beta", ids: ["b1", "b2"], description: "beta testers" });
    expect(doc.overrides).toEqual([{ flag: "checkout-v2", subject: "vip", source: "opt-in" }]);

    const file = join(srv.dir, "export.yaml");
    writeFileSync(file, text);
    const before = (await exported()).doc;
    const applied = await cli(["apply", "-f", file]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("plan: 0 to create, 0 to change, 4 unchanged");
    expect(applied.stdout).toContain("nothing to apply");
    expect((await exported()).doc).toEqual(before);
  });

  it("shows the diff on --dry-run without writing, then applies it with version checks", async () => {
    const { doc } = await exported();
    const flag = doc.flags?.[0] as { fallthrough: { split: { weight: number }[] }; tags: string[] };
    flag.fallthrough.split[0]!.weight = 25;
    flag.fallthrough.split[1]!.weight = 75;
    flag.tags = ["payments"];
    (doc.segments?.[0] as { ids: string[] }).ids = ["b2", "b3"];
    doc.flags?.push({ key: "brand-new", variants: { on: true, off: false }, offVariant: "off", fallthrough: { variant: "off" } });
    doc.overrides?.push({ flag: "checkout-v2", subject: "grumpy", source: "opt-out" } as never);
    const file = join(srv.dir, "edited.json");
    writeFileSync(file, JSON.stringify(doc));

    const dry = await cli(["apply", "-f", file, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("flag checkout-v2: change (version 1)");
    expect(dry.stdout).toContain("percentage: 10% → 25% (fallthrough)");
    expect(dry.stdout).toContain('tags: [] → ["payments"]');
    expect(dry.stdout).toContain("segment beta: change");
    expect(dry.stdout).toContain("ids: +1 -1 (2 → 2)");
    expect(dry.stdout).toContain("flag brand-new: create");
    expect(dry.stdout).toContain("override checkout-v2/grumpy: create (opt-out)");
    expect(dry.stdout).toContain("flag old-thing: unchanged");
    expect(dry.stdout).toContain("dry run: nothing was written");
    expect(JSON.parse((await cli(["flags", "get", "checkout-v2", "--json"])).stdout).percentage).toBe(10);

    const applied = await cli(["apply", "-f", file]);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toContain("applied 4 changes");
    const after = JSON.parse((await cli(["flags", "get", "checkout-v2", "--json"])).stdout);
    expect(after).toMatchObject({ percentage: 25, tags: ["payments"], version: 2 });
    expect((await cli(["segments", "ids", "beta"])).stdout).toBe("b2\nb3\n");
    expect((await cli(["apply", "-f", file])).stdout).toContain("nothing to apply");
  });

  it("fails on a conflict (exit 1) when the server changed since the export, and writes nothing", async () => {
    const { doc } = await exported();
    await cli(["enable", "checkout-v2", "-p", "30"]);
    (doc.flags?.[0] as { description: string }).description = "edited from a stale export";
    const file = join(srv.dir, "stale.yaml");
    writeFileSync(file, JSON.stringify(doc));
    const result = await cli(["apply", "-f", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: 1 conflict; nothing was applied");
    expect(result.stderr).toContain('flag "checkout-v2" is at version 3 on the server but the file was written from version 2');
    expect(JSON.parse((await cli(["flags", "get", "checkout-v2", "--json"])).stdout)).toMatchObject({ percentage: 30, description: "" });
  });

  it("refuses an invalid file with every bad field's path (exit 1), before any request", async () => {
    const file = join(srv.dir, "bad.yaml");
    writeFileSync(
      file,
      "flags:\n  - key: x\n    variants: { on: true }\n    offVariant: on\n    fallthrough: { split: [{ variant: on, weight: 101 }] }\nwidgets: []\n",
    );
    const result = await runCli(["apply", "-f", file], { url: "http://127.0.0.1:9" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is invalid; nothing was applied");
    expect(result.stderr).toContain("  widgets: unknown section");
    expect(result.stderr).toMatch(/ {2}flags\[0\]\.fallthrough\.split\[0\]\.weight: must be from 0 to 100/);
    expect((await cli(["apply"])).code).toBe(2);
  });
});

describe("serve", () => {
  it("starts on the given store, prints URL, store, docs, the admin token once and a hint; SIGTERM exits 0", async () => {
    const db = join(srv.dir, "served.db");
    const start = () => {
      const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", db], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      let out = "";
      child.stdout.on("data", (chunk) => {
        out += chunk;
      });
      const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
      const ready = new Promise<string>((done, fail) => {
        const timer = setInterval(() => {
          if (out.includes("Ctrl-C")) {
            clearInterval(timer);
            done(out);
          }
        }, 50);
        void exited.then((code) => fail(new Error(`serve exited ${code}: ${out}`)));
      });
      return { child, ready, exited, output: () => out };
    };
    const first = start();
    const out = await first.ready;
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect(out).toContain(`store:     SQLite ${db}`);
    expect(out).toContain(`API docs:  ${url}/api/docs`);
    const token = /admin token \(shown only this once; store it now\): (\S+)/.exec(out)?.[1];
    expect(token).toMatch(/^dl_/);
    expect(out).toContain(`npx darklaunch login --url ${url} --token ${token}`);
    expect(out).toContain("npx darklaunch enable checkout-v2 --percentage 1");
    const enabled = await runCli(["enable", "served", "-p", "5"], { url, token: token ?? "" });
    expect(enabled.code).toBe(0);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("stopped; store closed");

    // The second start of the same store creates no token and shows none; the flag is still there.
    const second = start();
    const again = await second.ready;
    expect(again).not.toContain(token);
    expect(again).toContain("created at the first start");
    const url2 = /listening on (\S+)/.exec(again)?.[1] ?? "";
    expect(JSON.parse((await runCli(["flags", "get", "served", "--json"], { url: url2, token: token ?? "" })).stdout).percentage).toBe(5);
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("names the store and the cause when it cannot be reached or opened (exit 1)", async () => {
    const port = await closedPort();
    const postgres = await runCli(["serve", "--port", "0", "--database-url", `postgres://postgres@127.0.0.1:${port}/darklaunch`]);
    expect(postgres.code).toBe(1);
    expect(postgres.stderr).toBe(`error: cannot start the server: cannot reach Postgres at 127.0.0.1:${port} (connection refused)\n`);
    const path = join(srv.dir, "no-such-dir", "darklaunch.db");
    const sqlite = await runCli(["serve", "--port", "0", "--db", path]);
    expect(sqlite.code).toBe(1);
    expect(sqlite.stderr).toBe(`error: cannot start the server: cannot open the SQLite store at ${path} (its directory does not exist)\n`);
  });
});
