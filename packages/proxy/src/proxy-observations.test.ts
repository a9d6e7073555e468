import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { json, startBackend, type TestBackend, type TestServer, useListeningSqliteServer } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { type RunningProxy, startProxy } from "./start-proxy.js";

// A real server on SQLite, real proxies with their own SDK clients, real backends: observations go
// the whole way (proxy → client recorder → POST /api/v1/observations → store → read API).

let t: TestServer;
let url: string;
const backends: TestBackend[] = [];

useListeningSqliteServer(backends, (server, base) => {
  t = server;
  url = base;
});

async function createFlag(key: string, variant: "shadow" | "dark" | "stable"): Promise<void> {
  const response = await t.request("POST", "/api/v1/flags", {
    key,
    variants: { stable: "stable", shadow: "shadow", dark: "dark" },
    offVariant: "stable",
    enabled: true,
    fallthrough: { variant },
  });
  if (response.status !== 201) throw new Error(`cannot create ${key}: ${response.status} ${JSON.stringify(response.body)}`);
}

async function proxyFor(flag: string, stable: string, dark: string, extra: Record<string, unknown> = {}): Promise<RunningProxy> {
  return startProxy(
    {
      listen: "127.0.0.1:0",
      adminListen: "127.0.0.1:0",
      controlPlane: { url, token: t.secrets.sdk },
      routes: [{ name: "api", match: { pathPrefix: "/" }, flag, stable, dark, ...extra }],
    },
    { warn: () => {} },
  );
}

async function backend(answer: Parameters<typeof startBackend>[0]): Promise<TestBackend> {
  const b = await startBackend(answer);
  backends.push(b);
  return b;
}

describe("observations reach the server", () => {
  it("merges observations from two proxies to the exact totals", async () => {
    await createFlag("merge-flag", "shadow");
    const stable = await backend((req, res) => json(res, { path: req.url, price: 10 }));
    const dark = await backend((req, res) => json(res, { path: req.url, price: req.url?.endsWith("0") ? 11 : 10 }));
    const first = await proxyFor("merge-flag", stable.url, dark.url);
    const second = await proxyFor("merge-flag", stable.url, dark.url);
    for (let i = 0; i < 7; i++) expect((await fetch(`${first.url}/a/${i}`)).status).toBe(200);
    for (let i = 0; i < 11; i++) expect((await fetch(`${second.url}/b/${i}`)).status).toBe(200);
    await Promise.all([first.close(), second.close()]); // drains the mirrors and flushes both clients

    const read = await t.request("GET", "/api/v1/flags/merge-flag/observations?since=1h", undefined, { scope: "read" });
    expect(read.status).toBe(200);
    expect(read.body.totals.baseline).toMatchObject({ requests: 18, errors: 0 });
    expect(read.body.totals.dark).toMatchObject({ requests: 18, errors: 0 });
    // /a/0, /b/0 and /b/10 end in 0: three price mismatches.
    expect(read.body.totals.comparison).toMatchObject({ total: 18, mismatched: 3 });
    const mismatches = await t.request("GET", "/api/v1/flags/merge-flag/mismatches?since=1h", undefined, { scope: "read" });
    expect(JSON.stringify(mismatches.body.fields)).toContain("body.price");
  });

  it("compares the headers it is told to by lower-case name, repeated fields as one list", async () => {
    await createFlag("header-flag", "shadow");
    const stable = await backend((_req, res) => {
      res.setHeader("X-Version", "7");
      res.setHeader("Set-Cookie", ["a=1", "b=2"]);
      json(res, { ok: true });
    });
    const dark = await backend((req, res) => {
      res.setHeader("x-version", req.url === "/other" ? "8" : "7");
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      json(res, { ok: true });
    });
    const proxy = await proxyFor("header-flag", stable.url, dark.url, { compare: { headers: ["X-Version", "set-cookie"] } });
    for (const path of ["/same", "/other"]) expect((await fetch(`${proxy.url}${path}`)).status).toBe(200);
    await proxy.close();
    const mismatches = await t.request("GET", "/api/v1/flags/header-flag/mismatches?since=1h", undefined, { scope: "read" });
    expect(mismatches.body.comparison).toMatchObject({ total: 2, mismatched: 1 });
    const fields = JSON.stringify(mismatches.body.fields);
    expect(fields).toContain("headers.x-version");
    expect(fields).not.toContain("set-cookie");
  });

  it("never lets secrets reach the store", async () => {
    const SECRETS = [
      "sk_live_9f8e7d6c5b4a39281706",
      "alice.secret@example.com",
      "bob.hidden@example.org",
      "sess_0123456789abcdef",
      "qs-t0ken-42",
    ];
    await createFlag("secret-flag", "shadow");
    // Both backends echo the secrets they receive; dark differs in every secret-bearing field.
    const stable = await backend((req, res) => {
      res.setHeader("set-cookie", "session=sess_0123456789abcdef");
      json(res, { user: "alice.secret@example.com", auth: req.headers.authorization, body: req.body, price: 1 });
    });
    const dark = await backend((req, res) => {
      res.setHeader("set-cookie", "session=other");
      json(res, { user: "bob.hidden@example.org", auth: "Bearer other", body: `${req.body}!`, price: 2 });
    });
    const proxy = await proxyFor("secret-flag", stable.url, dark.url, {
      mirrorMethods: ["GET", "POST"],
      compare: { headers: ["set-cookie", "authorization"] },
      redaction: { query: ["token"] },
    });
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${proxy.url}/profile?token=qs-t0ken-42&i=${i}`, {
        method: "POST",
        headers: { authorization: "Bearer sk_live_9f8e7d6c5b4a39281706", "content-type": "application/json" },
        body: JSON.stringify({ email: "alice.secret@example.com" }),
      });
      expect(response.status).toBe(200);
    }
    await proxy.close();

    const mismatches = await t.request("GET", "/api/v1/flags/secret-flag/mismatches?since=1h", undefined, { scope: "read" });
    expect(mismatches.status).toBe(200);
    expect(mismatches.body.comparison).toMatchObject({ total: 3, mismatched: 3 });
    expect(mismatches.body.samples.length).toBeGreaterThan(0);
    const series = await t.request("GET", "/api/v1/flags/secret-flag/observations?since=1h", undefined, { scope: "read" });
    const served = JSON.stringify([mismatches.body, series.body]);
    expect(served).toContain("body.price"); // the report is there, with its differences…
    for (const secret of SECRETS) expect(served).not.toContain(secret); // …and no secret in it

    // And nowhere in the database files (the SQLite file and its WAL).
    const dir = dirname((t.store.options as { sqlitePath: string }).sqlitePath);
    const bytes = readdirSync(dir)
      .map((name) => readFileSync(join(dir, name)).toString("latin1"))
      .join("\n");
    expect(bytes).toContain("secret-flag");
    for (const secret of SECRETS) expect(bytes).not.toContain(secret);
  });
});
