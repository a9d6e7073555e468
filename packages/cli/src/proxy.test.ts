import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, json, startBackend, type TestBackend } from "@darklaunch/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, BIN, runCli, startServer, type TestServer } from "./test-cli.js";

let server: TestServer;
let stable: TestBackend;
let dark: TestBackend;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "darklaunch-proxy-cli-"));
  const created = await fetch(`${server.url}/api/v1/flags`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      key: "cli-proxy",
      variants: { on: true, off: false },
      offVariant: "off",
      enabled: true,
      fallthrough: { variant: "on" },
    }),
  });
  expect(created.status).toBe(201);
  stable = await startBackend((req, res) => json(res, { from: "stable", url: req.url }));
  dark = await startBackend((req, res) => json(res, { from: "dark", url: req.url }));
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

afterAll(async () => {
  await stable?.close();
  await dark?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Spawns `darklaunch proxy …` and resolves with the URLs it prints once it listens. */
async function startCliProxy(args: string[]): Promise<{ child: ChildProcess; url: string; adminUrl: string; output: () => string }> {
  const token = await server.token("sdk");
  const child = spawn(process.execPath, [BIN, "proxy", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DARKLAUNCH_URL: server.url,
      DARKLAUNCH_TOKEN: token,
      DARKLAUNCH_CONFIG: join(dir, "none.json"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // The last line of the banner: everything before it has been printed.
  await eventually(() => output.includes("Ctrl-C stops the proxy") || child.exitCode !== null, "the proxy to listen", 20_000);
  const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
  const adminUrl = /metrics: +(http:\/\/\S+)\/metrics/.exec(output)?.[1];
  if (url === undefined || adminUrl === undefined) throw new Error(`the proxy did not start:\n${output}`);
  return { child, url, adminUrl, output: () => output };
}

describe("darklaunch proxy", () => {
  it("starts, proxies and mirrors a request, and exits 0 on SIGTERM", async () => {
    const { child, url, adminUrl, output } = await startCliProxy([
      "--flag",
      "cli-proxy",
      "--stable",
      stable.url,
      "--dark",
      dark.url,
      "--subject",
      "header:x-user-id",
    ]);
    const response = await fetch(`${url}/hello`, { headers: { "x-user-id": "u1" } });
    expect(await response.json()).toEqual({ from: "stable", url: "/hello" });
    await eventually(() => dark.received.some((r) => r.url === "/hello"), "the mirror");
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output()).toContain("SIGTERM: stopping");
    expect(output()).toContain("stopped; observations flushed");
  });

  it("reads several routes from a YAML config file", async () => {
    const file = join(dir, "proxy.yaml");
    writeFileSync(
      file,
      [
        "routes:",
        "  - name: shadowed",
        "    match: { pathPrefix: /shadow }",
        "    flag: cli-proxy",
        `    stable: ${stable.url}`,
        `    dark: ${dark.url}`,
        "  - match: { pathPrefix: /plain }",
        "    flag: no-such-flag",
        `    stable: ${stable.url}`,
        `    dark: ${dark.url}`,
      ].join("\n"),
    );
    const { child, url, output } = await startCliProxy(["--config", file]);
    expect(output()).toContain("route shadowed: flag cli-proxy");
    expect((await fetch(`${url}/shadow/1`)).status).toBe(200);
    expect((await fetch(`${url}/plain/1`)).status).toBe(200); // unknown flag: stable, not mirrored
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
    await eventually(() => dark.received.some((r) => r.url === "/shadow/1"), "the mirror");
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    expect((await exited)[0]).toBe(0);
    expect(dark.received.some((r) => r.url === "/plain/1")).toBe(false);
  });

  it("refuses bad usage with exit 2 and names the field", async () => {
    const missing = await runCli(["proxy", "--flag", "x", "--stable", stable.url], { url: server.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("give --dark");
    const bad = await runCli(["proxy", "--flag", "x", "--stable", stable.url, "--dark", "nope", "--listen", "127.0.0.1:0"], {
      url: server.url,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dark: must be an http(s) URL without query or credentials, got "nope"');
  });

  it("names the option or config field of every bad value (exit 2)", async () => {
    const base = ["proxy", "--flag", "x", "--stable", stable.url, "--dark", dark.url];
    const listen = await runCli([...base, "--listen", "nope"], { url: server.url, token: "t" });
    expect(listen.code).toBe(2);
    expect(listen.stderr).toContain('--listen: must be host:port, e.g. 127.0.0.1:8080, got "nope"');
    const inflight = await runCli([...base, "--max-inflight", "x"], { url: server.url, token: "t" });
    expect(inflight.code).toBe(2);
    expect(inflight.stderr).toMatch(/--max-inflight.*must be a whole number of at least 1, got "x"/);
    const methods = await runCli([...base, "--mirror-methods", "G E T", "--listen", "127.0.0.1:0"], { url: server.url, token: "t" });
    expect(methods.code).toBe(2);
    expect(methods.stderr).toContain("--mirror-methods: must be a list of HTTP methods");

    const file = join(dir, "bad-values.json");
    writeFileSync(
      file,
      JSON.stringify({ routes: [{ match: { pathPrefix: "/" }, flag: "x", stable: stable.url, dark: dark.url, maxInflight: "x" }] }),
    );
    const fromFile = await runCli(["proxy", "--config", file], { url: server.url, token: "t" });
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(`the proxy configuration in ${file} is invalid`);
    expect(fromFile.stderr).toContain('routes[0].maxInflight: must be a whole number of at least 1, got "x"');
  });

  it("says clearly when the config file is missing or not JSON / YAML", async () => {
    const missing = await runCli(["proxy", "--config", join(dir, "absent.yaml")], { url: server.url, token: "t" });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`cannot read ${join(dir, "absent.yaml")}: ENOENT`);
    const json = join(dir, "broken.json");
    writeFileSync(json, '{"routes": [');
    const notJson = await runCli(["proxy", "--config", json], { url: server.url, token: "t" });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain(`${json} is not valid JSON`);
    const yaml = join(dir, "broken.yaml");
    writeFileSync(yaml, "routes: [\n  - {");
    const notYaml = await runCli(["proxy", "--config", yaml], { url: server.url, token: "t" });
    expect(notYaml.code).toBe(2);
    expect(notYaml.stderr).toContain(`${yaml} is not valid YAML`);
    expect(`${missing.stderr}${notJson.stderr}${notYaml.stderr}`).not.toMatch(/\n\s+at /); // no stack traces
  });

  it("exits non-zero with a clear message when the port is in use", async () => {
    const taken = await startBackend((_req, res) => json(res, {}));
    try {
      const token = await server.token("sdk");
      const result = await runCli(
        ["proxy", "--flag", "cli-proxy", "--stable", stable.url, "--dark", dark.url, "--listen", `127.0.0.1:${taken.port}`],
        { url: server.url, token },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`listen: 127.0.0.1:${taken.port} is in use`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await taken.close();
    }
  });
});
