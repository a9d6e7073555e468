import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN } from "./test-cli.js";

const ADMIN = "dl_admin_serve-log-test-0123456789abcdef";
const dir = mkdtempSync(join(tmpdir(), "darklaunch-serve-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `darklaunch serve`, makes one request with a token and a secret query value, and returns what it printed. */
async function serveOnce(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", join(dir, `${args.join("")}.db`), ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DARKLAUNCH_ADMIN_TOKEN: ADMIN },
  });
  let out = "";
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (found && out.includes("Ctrl-C")) done(found);
    });
    void exited.then(() => fail(new Error(`serve exited: ${out}`)));
  });
  const response = await fetch(`${url}/api/v1/flags?token=query-secret-1`, {
    headers: { authorization: `Bearer ${ADMIN}`, cookie: "s=cookie-secret-2" },
  });
  expect(response.status).toBe(400);
  child.kill("SIGTERM");
  await exited;
  return out;
}

describe("serve logging", () => {
  it("--log writes a JSON access line per request, without the token, cookie or secret query values", async () => {
    const out = await serveOnce(["--log"]);
    const lines = out.split("\n").filter((line) => line.startsWith("{"));
    const request = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "incoming request");
    expect(request?.req).toEqual({ method: "GET", url: "/api/v1/flags?token=[REDACTED]", remoteAddress: "127.0.0.1" });
    for (const secret of [ADMIN, "query-secret-1", "cookie-secret-2"]) expect(out).not.toContain(secret);
  }, 30_000);

  it("without --log writes no access line (errors only)", async () => {
    const out = await serveOnce([]);
    expect(out.split("\n").filter((line) => line.startsWith("{"))).toEqual([]);
  }, 30_000);
});
