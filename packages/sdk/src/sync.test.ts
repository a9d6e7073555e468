import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ClientOptions, createClient, type DarkLaunchClient, type SdkError } from "./index.js";
import { boolFlag, type FakeServer, rulesetWith, sleep, sse, startFakeServer, streamOf, waitFor } from "./test-fake-server.js";

// These tests are about the client's handling of what a server sends or fails to send, so the
// server is a tiny node:http fake speaking the SDK endpoints' contract; the real server is in
// real-server.test.ts.

const fakes: FakeServer[] = [];
const clients: DarkLaunchClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const fake of fakes.splice(0)) await fake.close();
});

async function fake(): Promise<FakeServer> {
  const server = await startFakeServer();
  fakes.push(server);
  return server;
}

function client(options: ClientOptions): DarkLaunchClient {
  const created = createClient({ token: "dl_sdk_test", telemetry: false, backoff: { baseMs: 20, capMs: 100 }, ...options });
  clients.push(created);
  return created;
}

function errors(c: DarkLaunchClient): SdkError[] {
  const seen: SdkError[] = [];
  c.on("error", (error) => seen.push(error));
  return seen;
}

/** A URL on which nothing listens. */
async function deadUrl(): Promise<string> {
  const server = await startFakeServer();
  await server.close();
  return server.url;
}

describe("the stream", () => {
  it("applies put, patch and delete, and emits change with the changed keys", async () => {
    const server = await fake();
    const snapshot = { revision: 1, ruleset: rulesetWith([boolFlag("a", true), boolFlag("b", true)]) };
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => snapshot,
      ),
    );
    const c = client({ url: server.url });
    expect(await c.ready()).toMatchObject({ source: "server", revision: 1, stale: false });
    expect(c.isEnabled("a", { id: "u1" })).toBe(true);

    const changed = waitFor<{ keys: string[] }>((l) => c.on("change", l));
    for (const s of server.streams) s.write(sse("patch", { revision: 2, flags: [boolFlag("a", false, 2)] }, 2));
    expect((await changed).keys).toEqual(["a"]);
    expect(c.isEnabled("a", { id: "u1" })).toBe(false);
    expect(c.revision).toBe(2);

    const removed = waitFor<{ keys: string[] }>((l) => c.on("change", l));
    for (const s of server.streams) s.write(sse("delete", { revision: 3, flags: ["b"] }, 3));
    expect((await removed).keys).toEqual(["b"]);
    expect(c.evaluate("b", { id: "u1" }).errorCode).toBe("FLAG_NOT_FOUND");

    const overridden = waitFor<{ keys: string[] }>((l) => c.on("change", l));
    const override = { flag: "a", subject: "u9", variant: "on", source: "pinned" };
    for (const s of server.streams) {
      const off = { ...boolFlag("a", true, 4), fallthrough: { variant: "off" } };
      s.write(sse("patch", { revision: 4, flags: [off], overrides: [{ flag: "a", overrides: [override] }] }, 4));
    }
    expect((await overridden).keys).toEqual(["a"]);
    expect(c.evaluate("a", { id: "u9" })).toMatchObject({ value: true, reason: "OVERRIDE" });
    expect(c.evaluate("a", { id: "u1" })).toMatchObject({ value: false, reason: "FALLTHROUGH" });
    expect(c.status).toBe("live");
    expect(server.maxStreams).toBe(1);
  });

  it("ignores a message that is not JSON, and skips a patched flag the core rejects (reported, serving the default)", async () => {
    const server = await fake();
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => ({ revision: 1, ruleset: rulesetWith([boolFlag("a", true), boolFlag("b", true)]) }),
      ),
    );
    const c = client({ url: server.url });
    await c.ready();
    const first = waitFor<SdkError>((l) => c.on("error", l));
    for (const s of server.streams) s.write(sse("patch", "{not json"));
    expect((await first).code).toBe("MALFORMED_UPDATE");
    expect(c.updateStats()).toEqual({ rejectedMessages: 1, staleMessages: 0, skippedFlags: [] });
    expect(c.isEnabled("a", { id: "u1" })).toBe(true);

    const second = waitFor<SdkError>((l) => c.on("error", l));
    const changed = waitFor<{ keys: string[] }>((l) => c.on("change", l));
    // Valid JSON, but a flag the core rejects (its off variant does not exist): that flag alone is left out.
    for (const s of server.streams) s.write(sse("patch", { revision: 2, flags: [{ ...boolFlag("a", false, 2), offVariant: "nope" }] }));
    const skipped = await second;
    expect(skipped).toMatchObject({ code: "FLAG_SKIPPED", details: { flag: "a" } });
    expect(skipped.message).toMatch(/offVariant/);
    expect((await changed).keys).toEqual(["a"]);
    expect(c.evaluate("a", { id: "u1" }, true)).toMatchObject({ value: true, reason: "ERROR", errorCode: "GENERAL" });
    expect(c.isEnabled("a", { id: "u1" })).toBe(false);
    expect(c.isEnabled("b", { id: "u1" })).toBe(true);
    expect(c.revision).toBe(2);
    expect(c.updateStats().skippedFlags).toEqual(["a"]);
  });

  it("never applies half an event when the stream is cut mid-event, and catches up on reconnect", async () => {
    const server = await fake();
    let revision = 1;
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => ({ revision, ruleset: rulesetWith([boolFlag("a", revision === 1)]) }),
      ),
    );
    const c = client({ url: server.url });
    const seen = errors(c);
    await c.ready();
    const stale = waitFor((l) => c.on("stale", l));
    revision = 2;
    for (const s of server.streams) {
      s.write(`event: patch\nid: 2\ndata: ${JSON.stringify({ revision: 2, flags: [boolFlag("a", false, 2)] }).slice(0, 30)}`);
      setTimeout(() => s.destroy(), 50);
    }
    await stale;
    const changed = waitFor<{ keys: string[] }>((l) => c.on("change", l));
    expect((await changed).keys).toEqual(["a"]);
    expect(c.isEnabled("a", { id: "u1" })).toBe(false);
    expect(seen.filter((e) => e.code === "MALFORMED_UPDATE")).toEqual([]);
    expect(server.maxStreams).toBe(1);
  });

  it("treats a silent stream as dead (missed heartbeats) and reconnects", async () => {
    const server = await fake();
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => ({ revision: 1, ruleset: rulesetWith([boolFlag("a", true)]) }),
      ),
    );
    const c = client({ url: server.url, heartbeatTimeoutMs: 300 });
    await c.ready();
    const stale = await waitFor<{ error: SdkError }>((l) => c.on("stale", l));
    expect(stale.error.message).toMatch(/missed heartbeats/);
    await waitFor((l) => c.on("ready", l));
    expect(server.counts["/api/v1/sdk/stream"]).toBeGreaterThanOrEqual(2);
    expect(server.maxStreams).toBe(1);
  });

  it("heartbeats keep a quiet stream alive", async () => {
    const server = await fake();
    server.handle("/api/v1/sdk/stream", (request, response) => {
      streamOf(
        () => server,
        () => ({ revision: 1, ruleset: rulesetWith([boolFlag("a", true)]) }),
      )(request, response);
      const beat = setInterval(() => response.write(sse("heartbeat", { revision: 1 }, 1)), 50);
      response.on("close", () => clearInterval(beat));
    });
    // 20 heartbeats per timeout: margin for a loaded test machine.
    const c = client({ url: server.url, heartbeatTimeoutMs: 1_000 });
    await c.ready();
    let stale = 0;
    c.on("stale", () => stale++);
    await sleep(1_500);
    expect(stale).toBe(0);
    expect(server.counts["/api/v1/sdk/stream"]).toBe(1);
  });
});

describe("failures", () => {
  it("a server answering 500: ready() says so, retries back off, no storm", async () => {
    const server = await fake();
    const fail = (_: unknown, response: import("node:http").ServerResponse) => response.writeHead(500).end("oops");
    server.handle("/api/v1/sdk/stream", fail);
    server.handle("/api/v1/sdk/snapshot", fail);
    const c = client({ url: server.url, readyTimeoutMs: 500, backoff: { baseMs: 100, capMs: 400 }, pollIntervalMs: 1_000 });
    const seen = errors(c);
    await expect(c.ready()).rejects.toMatchObject({
      code: "BAD_RESPONSE",
      message: expect.stringMatching(/HTTP 500.*no cache file or bootstrap/),
    });
    await sleep(1_000);
    const streams = server.counts["/api/v1/sdk/stream"] ?? 0;
    // 1.5 s with retries of at most 400 ms (average 200 ms after the first doublings): a handful, not hundreds.
    expect(streams).toBeGreaterThanOrEqual(2);
    expect(streams).toBeLessThan(25);
    expect(server.counts["/api/v1/sdk/snapshot"] ?? 0).toBeLessThanOrEqual(3);
    expect(seen.some((e) => e.code === "BAD_RESPONSE")).toBe(true);
  });

  it("garbage from the server: errors, and the bootstrap keeps answering", async () => {
    const server = await fake();
    server.handle("/api/v1/sdk/stream", (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end("event: put\ndata: <html>garbage</html>\n\n");
    });
    server.handle("/api/v1/sdk/snapshot", (_request, response) =>
      response.writeHead(200, { "content-type": "application/json" }).end("}{"),
    );
    const c = client({ url: server.url, bootstrap: rulesetWith([boolFlag("a", true)]) });
    const seen = errors(c);
    expect(await c.ready()).toMatchObject({ source: "bootstrap", stale: true });
    await sleep(200);
    expect(c.isEnabled("a", { id: "u1" })).toBe(true);
    expect(seen.map((e) => e.code)).toContain("MALFORMED_UPDATE");
    expect(seen.map((e) => e.code)).toContain("BAD_RESPONSE");
  });

  it("a refused token: a clear error at once and no retries", async () => {
    const server = await fake();
    const refuse = (_: unknown, response: import("node:http").ServerResponse) =>
      response.writeHead(401, { "content-type": "application/json" }).end('{"code":"UNAUTHORIZED"}');
    server.handle("/api/v1/sdk/stream", refuse);
    server.handle("/api/v1/sdk/snapshot", refuse);
    const c = client({ url: server.url, readyTimeoutMs: 60_000 });
    const seen = errors(c);
    const started = Date.now();
    await expect(c.ready()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      status: 401,
      message: expect.stringMatching(/sdk" token.*Not retrying/),
    });
    // Well before readyTimeoutMs: the 401 ended the wait, not the timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
    await sleep(500);
    expect(server.counts).toEqual({ "/api/v1/sdk/stream": 1 });
    expect(c.status).toBe("unauthorized");
    expect(seen.map((e) => e.code)).toEqual(["UNAUTHORIZED"]);
  });

  it("an unreachable server and nothing to fall back on: ready() says unreachable", async () => {
    const c = client({ url: await deadUrl(), readyTimeoutMs: 300 });
    await expect(c.ready()).rejects.toMatchObject({ code: "UNREACHABLE", message: expect.stringMatching(/cannot reach the server/) });
    expect(c.evaluate("a", { id: "u1" }, false)).toMatchObject({ value: false, reason: "ERROR" });
  });

  it("falls back to ETag polling when the stream cannot be held", async () => {
    const server = await fake();
    const inm: (string | undefined)[] = [];
    server.handle("/api/v1/sdk/stream", (_request, response) => response.writeHead(502).end());
    server.handle("/api/v1/sdk/snapshot", (request, response) => {
      inm.push(request.headers["if-none-match"]);
      if (request.headers["if-none-match"] === '"7"') return response.writeHead(304, { etag: '"7"' }).end();
      response.writeHead(200, { "content-type": "application/json", etag: '"7"' });
      response.end(JSON.stringify({ revision: 7, ruleset: rulesetWith([boolFlag("a", true)]) }));
    });
    const c = client({ url: server.url, pollIntervalMs: 50, backoff: { baseMs: 400, capMs: 400 } });
    expect(await c.ready()).toMatchObject({ source: "server", revision: 7 });
    await sleep(400);
    expect(c.status).toBe("polling");
    expect(inm[0]).toBeUndefined();
    expect(inm.slice(1)).toContain('"7"');
    expect(c.isEnabled("a", { id: "u1" })).toBe(true);
  });
});

describe("the cache file", () => {
  it("is written on updates and serves a cold start with the server down", async () => {
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-sdk-"));
    const cachePath = join(dir, "snapshot.json");
    const server = await fake();
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => ({ revision: 5, ruleset: rulesetWith([boolFlag("a", true)]) }),
      ),
    );
    const first = client({ url: server.url, cachePath });
    await first.ready();
    await first.close();
    expect(JSON.parse(readFileSync(cachePath, "utf8"))).toMatchObject({ format: "darklaunch-sdk-cache/1", revision: 5 });

    const second = client({ url: await deadUrl(), cachePath, bootstrap: rulesetWith([boolFlag("a", false)]) });
    expect(await second.ready()).toMatchObject({ source: "cache", revision: 5, stale: true });
    expect(second.isEnabled("a", { id: "u1" })).toBe(true);
  });

  it("a corrupted cache file is reported and ignored; the bootstrap file serves", async () => {
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-sdk-"));
    const cachePath = join(dir, "snapshot.json");
    writeFileSync(cachePath, '{"format":"darklaunch-sdk-cache/1","revision":3,"ruleset":{"flags":[{"key":');
    const bootstrap = join(dir, "bootstrap.json");
    writeFileSync(bootstrap, JSON.stringify(rulesetWith([boolFlag("a", true)])));
    const c = client({ url: await deadUrl(), cachePath, bootstrap });
    const corrupt = waitFor<SdkError>((l) => c.on("error", l));
    expect(await c.ready()).toMatchObject({ source: "bootstrap", stale: true });
    expect((await corrupt).code).toBe("CACHE_CORRUPT");
    expect(c.isEnabled("a", { id: "u1" })).toBe(true);
  });

  it("a cache file that is not a ruleset is reported and ignored; a flag in it the core rejects is skipped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "darklaunch-sdk-"));
    const cachePath = join(dir, "snapshot.json");
    writeFileSync(cachePath, JSON.stringify({ format: "darklaunch-sdk-cache/1", revision: 1, ruleset: { flags: {} } }));
    const c = client({ offline: true, cachePath });
    const corrupt = waitFor<SdkError>((l) => c.on("error", l));
    await expect(c.ready()).rejects.toMatchObject({ code: "NO_SNAPSHOT" });
    expect((await corrupt).code).toBe("CACHE_CORRUPT");

    writeFileSync(
      cachePath,
      JSON.stringify({ format: "darklaunch-sdk-cache/1", revision: 1, ruleset: rulesetWith([{ key: "a" }, boolFlag("b", true)]) }),
    );
    const d = client({ offline: true, cachePath });
    const skipped = waitFor<SdkError>((l) => d.on("error", l));
    expect(await d.ready()).toMatchObject({ source: "cache", revision: 1 });
    expect(await skipped).toMatchObject({ code: "FLAG_SKIPPED", details: { flag: "a" } });
    expect(d.isEnabled("b", { id: "u1" })).toBe(true);
    expect(d.evaluate("a", { id: "u1" })).toMatchObject({ reason: "ERROR", errorCode: "GENERAL" });
  });
});

describe("telemetry", () => {
  it("counts per (flag, variant, reason), samples excluded evaluations, and flushes on close", async () => {
    const server = await fake();
    const half = {
      ...boolFlag("half", true),
      fallthrough: {
        split: [
          { variant: "on", weight: 50 },
          { variant: "off", weight: 50 },
        ],
      },
    };
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => ({ revision: 1, ruleset: rulesetWith([half]) }),
      ),
    );
    const c = createClient({ url: server.url, token: "t", telemetry: { intervalMs: 60_000, sampleExcluded: 3 } });
    await c.ready();
    for (let i = 0; i < 100; i++) c.isEnabled("half", { id: `u${i}` });
    c.isEnabled("nope", { id: "u1" });
    await c.close();
    expect(server.telemetry).toHaveLength(1);
    const batch = server.telemetry[0] as {
      counts: { variant: string; reason: string; count: number }[];
      samples: unknown[];
      dropped: number;
    };
    expect(batch).toMatchObject({ sdk: { name: "@darklaunch/sdk" }, dropped: 0 });
    expect(batch.counts.reduce((sum, row) => sum + row.count, 0)).toBe(100);
    expect(batch.counts.map((row) => row.reason).sort()).toEqual(["ROLLOUT_EXCLUDED", "ROLLOUT_INCLUDED"]);
    expect(batch.samples).toHaveLength(3);
    expect(batch.samples[0]).toMatchObject({ flag: "half", reason: "ROLLOUT_EXCLUDED", included: false, subject: expect.any(String) });
  });

  it("the buffer is bounded: when the server is down, the oldest batches are dropped and counted", async () => {
    const server = await fake();
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => ({ revision: 1, ruleset: rulesetWith([boolFlag("a", true), boolFlag("b", true), boolFlag("c", true)]) }),
      ),
    );
    let accept = false;
    // Each refused post, for the test to wait on: the interval holding a key's counts has closed
    // once two more posts were refused after it (one may have been on its way already).
    const refused = new EventEmitter();
    let refusals = 0;
    const refusedTwice = () => {
      const target = refusals + 2;
      return waitFor<number>(
        (listener) => {
          refused.on("post", listener);
          return () => refused.off("post", listener);
        },
        (n) => n >= target,
      );
    };
    server.handle("/api/v1/sdk/telemetry", (request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on("end", () => {
        if (!accept) {
          response.writeHead(503).end();
          refused.emit("post", ++refusals);
          return;
        }
        server.telemetry.push(JSON.parse(body));
        response.writeHead(202).end();
      });
    });
    const c = createClient({ url: server.url, token: "t", telemetry: { intervalMs: 30, maxBuffer: 2, sampleExcluded: 0 } });
    const failures = errors(c);
    await c.ready();
    for (const key of ["a", "b", "c"]) {
      c.isEnabled(key, { id: "u1" });
      c.isEnabled(key, { id: "u2" });
      await refusedTwice();
    }
    accept = true;
    await c.close();
    expect(failures.some((e) => e.code === "TELEMETRY_FAILED")).toBe(true);
    const sent = server.telemetry as { counts: { flag: string; count: number }[]; dropped: number }[];
    const flags = sent.flatMap((b) => b.counts.map((row) => row.flag));
    expect(flags).toContain("c");
    expect(flags).not.toContain("a");
    expect(sent.reduce((sum, b) => sum + b.dropped, 0)).toBeGreaterThanOrEqual(2);
  });
});

describe("arguments", () => {
  it("a bad flag key or context gives an error result, never a throw", () => {
    const c = createClient({ offline: true, bootstrap: rulesetWith([boolFlag("a", true)]) });
    expect(c.evaluate(42 as unknown as string, { id: "u1" }, false)).toMatchObject({ value: false, reason: "ERROR", errorCode: "GENERAL" });
    expect(c.isEnabled(undefined as unknown as string, { id: "u1" }, true)).toBe(true);
    expect(c.evaluate("a", "u1" as unknown as Record<string, unknown>, false)).toMatchObject({
      errorCode: "INVALID_CONTEXT",
      value: false,
    });
    expect(c.value("a", { id: "u1" }, "text")).toBe("text");
    expect(c.variant("a", { id: "u1" })).toBe("on");
    expect(() => createClient({ url: "http://x" })).toThrow(/token/);
  });
});
