import { execFile } from "node:child_process";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A fresh Node process per case (the build, as a user's process loads it): which code Node's
// fetch runs on is decided once per process, by what loads first.

const run = promisify(execFile);
const PROXY = new URL("../dist/index.js", import.meta.url).href;
const UNDICI = pathToFileURL(createRequire(import.meta.url).resolve("undici")).href;

let server: http.Server;
let target: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
    });
    req.on("end", () => res.end(JSON.stringify({ received: size })));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/post`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Imports `first`, then `second`, then POSTs with Node's fetch: whose code fetch ran on, and what it got back. */
async function inChild(first: string, second: string): Promise<{ npmUndiciDispatches: boolean; answer: unknown }> {
  const script = `
    await import(${JSON.stringify(first)});
    await import(${JSON.stringify(second)});
    const { Agent, getGlobalDispatcher } = await import(${JSON.stringify(UNDICI)});
    const answer = await (await fetch(${JSON.stringify(target)}, { method: "POST", body: "x".repeat(1000) })).json();
    console.log(JSON.stringify({ npmUndiciDispatches: getGlobalDispatcher() instanceof Agent, answer }));
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
  return JSON.parse(stdout);
}

describe("Node's fetch beside the proxy's undici", () => {
  it("keeps its own dispatcher when the proxy loads first, so the SDK's posts never run the request path's code", async () => {
    const child = await inChild(PROXY, UNDICI);
    expect(child).toEqual({ npmUndiciDispatches: false, answer: { received: 1000 } });
  });

  it("is undici's when undici loaded first (the case the proxy's entry point avoids), and posts work either way", async () => {
    const child = await inChild(UNDICI, PROXY);
    expect(child).toEqual({ npmUndiciDispatches: true, answer: { received: 1000 } });
  });
});
