import { randomUUID } from "node:crypto";
import { type Answer, clientServing, deadUrl, eventually, json, ok, proxyTestKit } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { startProxy } from "./start-proxy.js";

const FLAG = "search-v2";

const { backend, proxyFor, cleanup } = proxyTestKit(FLAG);

describe("shadow mode", () => {
  it("serves stable and mirrors a copy to dark with x-dark-launch and the request id", async () => {
    const stable = await backend((_req, res) => {
      res.setHeader("x-stable", "yes");
      json(res, { from: "stable" }, 201);
    });
    const dark = await backend((_req, res) => json(res, { from: "dark" }));
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url });

    const response = await fetch(`${proxy.url}/items?q=1`, { headers: { "x-request-id": "req-42", connection: "keep-alive" } });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-stable")).toBe("yes");
    expect(await response.json()).toEqual({ from: "stable" });
    await eventually(() => dark.received.length === 1, "the mirror");
    expect(dark.received[0]).toMatchObject({ method: "GET", url: "/items?q=1" });
    expect(dark.received[0]?.headers["x-dark-launch"]).toBe("shadow");
    expect(dark.received[0]?.headers["x-request-id"]).toBe("req-42");
    expect(stable.received[0]?.headers["x-request-id"]).toBe("req-42");
    expect(stable.received[0]?.headers["x-dark-launch"]).toBeUndefined();

    await fetch(`${proxy.url}/other`);
    await eventually(() => dark.received.length === 2, "the second mirror");
    const generated = stable.received[1]?.headers["x-request-id"];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(dark.received[1]?.headers["x-request-id"]).toBe(generated);
  });

  it("mirrors nothing for subjects on stable (variant false)", async () => {
    const stable = await backend(ok);
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, false), { stable: stable.url, dark: dark.url });
    for (let i = 0; i < 5; i++) expect((await fetch(`${proxy.url}/x`)).status).toBe(200);
    await proxy.close();
    expect(stable.received).toHaveLength(5);
    expect(dark.received).toHaveLength(0);
    expect(proxy.stats().served.stable).toBe(5);
  });

  it("a dark backend that never answers does not hold up stable, and mirrors in flight stay at the bound", async () => {
    const stable = await backend(ok);
    const dark = await backend(() => "hang");
    const proxy = await proxyFor(clientServing(FLAG, true), { stable: stable.url, dark: dark.url, maxInflight: 5, timeoutMs: 60_000 });

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fetch(`${proxy.url}/r/${i}`).then((r) => r.json() as Promise<{ from: string }>)),
    );
    // All 50 answered while dark has answered none of the mirrors it holds.
    expect(responses).toHaveLength(50);
    expect(responses.every((r) => r.from === "stable")).toBe(true);
    await eventually(() => dark.received.length === 5, "dark to hold 5 mirrors");
    const stats = proxy.stats();
    expect(stats.mirrors.inflight).toBe(5);
    expect(stats.mirrors.peakInflight).toBe(5);
    expect(stats.mirrors.sent).toBe(5);
    expect(stats.mirrors.dropped.inflight).toBe(45);
    const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^darklaunch_proxy_mirror_inflight 5$/m);
    expect(metrics).toMatch(/^darklaunch_proxy_mirrors_dropped_total\{reason="inflight"\} 45$/m);
    // Still answering while the bound is full.
    expect((await fetch(`${proxy.url}/again`)).status).toBe(200);
    expect(dark.received).toHaveLength(5);
    await dark.close(); // the held mirrors fail now, so close() need not wait for their timeout
  });

  it("a dead dark backend opens the breaker; after openMs one probe goes through and closes it", async () => {
    const stable = await backend(ok);
    const dead = await deadUrl();
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), {
      stable: stable.url,
      dark: dead.url,
      // Long enough that a loaded machine cannot reach half-open between the third failure and /b.
      breaker: { failures: 3, openMs: 1_500 },
    });
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${proxy.url}/a`)).status).toBe(200);
      await eventually(() => proxy.stats().calls.errors.dark === i + 1, `mirror failure ${i + 1}`);
    }
    expect(proxy.stats().breakers[dead.url]?.state).toBe("open");
    const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`darklaunch_proxy_breaker_state{backend="${dead.url}"} 2`);
    expect((await fetch(`${proxy.url}/b`)).status).toBe(200);
    expect(proxy.stats().mirrors.dropped.breaker).toBe(1);
    expect(proxy.stats().calls.dark).toBe(3);

    await eventually(() => proxy.stats().breakers[dead.url]?.state === "half-open", "half-open", 5_000);
    const revived = await backend((_req, res) => json(res, { from: "dark" }), dead.port);
    expect((await fetch(`${proxy.url}/c`)).status).toBe(200);
    await eventually(() => revived.received.length === 1, "the probe");
    await eventually(() => proxy.stats().breakers[dead.url]?.state === "closed", "closed after the probe");
    expect(proxy.stats().breakers[dead.url]?.probes).toBe(1);
  });

  it("does not mirror POST by default; a route that allows it does", async () => {
    const stable = await backend(ok);
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url });
    const response = await fetch(`${proxy.url}/orders`, {
      method: "POST",
      body: '{"qty":1}',
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(200);
    expect(stable.received[0]).toMatchObject({ method: "POST", body: '{"qty":1}' });
    await fetch(`${proxy.url}/after`); // a GET after it is mirrored: the POST's mirror would have come first
    await eventually(() => dark.received.length === 1, "the GET's mirror");
    expect(dark.received.map((r) => r.method)).toEqual(["GET"]);
    expect(proxy.stats().mirrors.skippedMethod).toBe(1);

    const writes = await backend(ok);
    const allowing = await proxyFor(clientServing(FLAG, "shadow"), {
      stable: stable.url,
      dark: writes.url,
      mirrorMethods: ["GET", "POST"],
    });
    await fetch(`${allowing.url}/orders`, { method: "POST", body: '{"qty":2}' });
    await eventually(() => writes.received.length === 1, "the POST's mirror");
    expect(writes.received[0]).toMatchObject({ method: "POST", body: '{"qty":2}' });
  });

  it("does not mirror bodies over the limit; stable still gets the whole body", async () => {
    const stable = await backend(ok);
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), {
      stable: stable.url,
      dark: dark.url,
      mirrorMethods: ["POST"],
      bodyLimit: 1024,
    });
    const big = "x".repeat(200_000);
    expect((await fetch(`${proxy.url}/upload`, { method: "POST", body: big })).status).toBe(200);
    expect(stable.received[0]?.body).toBe(big);
    expect((await fetch(`${proxy.url}/small`, { method: "POST", body: "y".repeat(1000) })).status).toBe(200);
    await eventually(() => dark.received.length === 1, "the small body's mirror");
    expect(dark.received[0]).toMatchObject({ url: "/small", body: "y".repeat(1000) });
    expect(proxy.stats().mirrors.dropped.body_limit).toBe(1);
    expect(await (await fetch(`${proxy.adminUrl}/metrics`)).text()).toMatch(/mirrors_dropped_total\{reason="body_limit"\} 1$/m);
  });

  it("finds a changed field at its path and records it in the client's observations", async () => {
    const stable = await backend((_req, res) => json(res, { id: 7, price: 10, items: [{ sku: "a", qty: 1 }] }));
    const dark = await backend((_req, res) => json(res, { id: 7, price: 12, items: [{ sku: "a", qty: 2 }] }));
    const client = clientServing(FLAG, "shadow");
    const proxy = await proxyFor(client, { name: "cart", stable: stable.url, dark: dark.url });
    for (let i = 0; i < 4; i++) await fetch(`${proxy.url}/cart/${i}`);
    await eventually(() => proxy.stats().comparisons.total === 4, "4 comparisons");
    expect(proxy.stats().comparisons).toMatchObject({ mismatch: 4, match: 0, fields: { "body.price": 4, "body.items[].qty": 4 } });
    const windows = client.observations.drain();
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ flag: FLAG, source: "sdk", route: "cart" });
    expect(windows[0]?.comparison).toMatchObject({ total: 4, mismatched: 4, fields: { "body.price": 4 } });
    expect(windows[0]?.baseline.requests).toBe(4);
    expect(windows[0]?.dark.requests).toBe(4);
    const sample = windows[0]?.samples[0];
    expect(sample).toMatchObject({ method: "GET", baselineStatus: 200, darkStatus: 200 });
    expect(sample?.url).toMatch(/^\/cart\/\d$/);
    expect(sample?.differences).toContainEqual(expect.objectContaining({ path: "body.price", baseline: 10, dark: 12 }));
    expect(await (await fetch(`${proxy.adminUrl}/metrics`)).text()).toMatch(/^darklaunch_proxy_comparisons_total\{result="mismatch"\} 4$/m);
  });

  it("hides secret-named query parameters in mismatch samples without any redaction configured", async () => {
    const stable = await backend((_req, res) => json(res, { price: 10 }));
    const dark = await backend((_req, res) => json(res, { price: 12 }));
    const client = clientServing(FLAG, "shadow");
    const proxy = await proxyFor(client, { stable: stable.url, dark: dark.url });
    const secrets = ["t0k3n-1", "k3y-2", "pa55-3", "acc3ss-4", "cl13nt-5", "s1g-6", "x-auth-7"];
    const query =
      "token=t0k3n-1&api_key=k3y-2&Password=pa55-3&access_token=acc3ss-4&client_secret=cl13nt-5&signature=s1g-6&X-Auth-Token=x-auth-7&page=2";
    await fetch(`${proxy.url}/q?${query}`);
    await eventually(() => proxy.stats().comparisons.total === 1, "the comparison");
    const url = client.observations.drain()[0]?.samples[0]?.url;
    expect(url).toBeDefined();
    for (const secret of secrets) expect(url).not.toContain(secret);
    expect(url).toContain("page=2"); // ordinary parameters stay readable
    expect(url).toContain("api_key=[REDACTED]");
    expect(dark.received[0]?.url).toBe(`/q?${query}`); // the backends still get the request as sent
  });

  it("filters a random-UUID field as noise with a secondary, while a real change still counts", async () => {
    const withId =
      (price: number): Answer =>
      (_req, res) =>
        json(res, { requestId: randomUUID(), price });
    const stable = await backend(withId(10));
    const secondary = await backend(withId(10));
    const dark = await backend(withId(12));
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, secondary: secondary.url, dark: dark.url });
    for (let i = 0; i < 20; i++) await fetch(`${proxy.url}/p`);
    await eventually(() => proxy.stats().comparisons.total === 20, "20 comparisons");
    const { comparisons } = proxy.stats();
    expect(comparisons.fields["body.requestId"]).toBeUndefined();
    expect(comparisons.noise["body.requestId"]).toBe(20);
    expect(comparisons.fields["body.price"]).toBe(20);
    expect(secondary.received).toHaveLength(20);
    expect(secondary.received[0]?.headers["x-dark-launch"]).toBe("shadow");

    // The same traffic without a secondary: the UUID counts as a difference (so the test above can fail).
    const bare = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url });
    for (let i = 0; i < 3; i++) await fetch(`${bare.url}/p`);
    await eventually(() => bare.stats().comparisons.total === 3, "3 comparisons");
    expect(bare.stats().comparisons.fields["body.requestId"]).toBe(3);
  });
});

describe("split mode (variant dark)", () => {
  it("serves from dark", async () => {
    const stable = await backend(ok);
    const dark = await backend((_req, res) => json(res, { from: "dark" }));
    const proxy = await proxyFor(clientServing(FLAG, "dark"), { stable: stable.url, dark: dark.url });
    const response = await fetch(`${proxy.url}/s`, { method: "POST", body: "hello" });
    expect(await response.json()).toEqual({ from: "dark" });
    expect(dark.received[0]).toMatchObject({ method: "POST", body: "hello" });
    expect(dark.received[0]?.headers["x-dark-launch"]).toBeUndefined();
    expect(stable.received).toHaveLength(0);
    expect(proxy.stats().served).toMatchObject({ dark: 1, stable: 0 });
  });

  it("falls back to stable when dark is down (counted), and answers 502 without fallback", async () => {
    const stable = await backend(ok);
    const dead = await deadUrl();
    const proxy = await proxyFor(clientServing(FLAG, "dark"), { stable: stable.url, dark: dead.url });
    const response = await fetch(`${proxy.url}/s`, { method: "POST", body: "again" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ from: "stable" });
    expect(stable.received[0]).toMatchObject({ method: "POST", body: "again" });
    expect(proxy.stats().served).toMatchObject({ fallback: 1, dark: 0 });
    expect(proxy.stats().calls.errors.dark).toBe(1);
    expect(await (await fetch(`${proxy.adminUrl}/metrics`)).text()).toMatch(/^darklaunch_proxy_fallbacks_total\{route="\/"\} 1$/m);

    const strict = await proxyFor(clientServing(FLAG, "dark"), { stable: stable.url, dark: dead.url, fallback: false });
    const refused = await fetch(`${strict.url}/s`);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toEqual({ code: "BAD_GATEWAY", message: "the dark backend could not be reached (ECONNREFUSED)" });
  });
});

describe("routing and errors", () => {
  it("answers 404 naming the path when no route matches, and 502 when stable is down", async () => {
    const dead = await deadUrl();
    const dark = await backend(ok);
    const client = clientServing(FLAG, "shadow");
    const proxy = await startProxy(
      {
        listen: "127.0.0.1:0",
        adminListen: "127.0.0.1:0",
        routes: [{ match: { pathPrefix: "/api", methods: ["GET"] }, flag: FLAG, stable: dead.url, dark: dark.url }],
      },
      { client, warn: () => {} },
    );
    cleanup.push(async () => {
      await proxy.close();
      await client.close();
    });
    const missing = await fetch(`${proxy.url}/apix/1`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "NO_ROUTE", message: expect.stringContaining("/apix/1") });
    expect((await fetch(`${proxy.url}/api/1`, { method: "DELETE" })).status).toBe(404);
    const down = await fetch(`${proxy.url}/api/1`);
    expect(down.status).toBe(502);
    const body = await down.json();
    expect(body).toEqual({ code: "BAD_GATEWAY", message: "the stable backend could not be reached (ECONNREFUSED)" });
    // The backend's address is the operator's business: it never reaches the client.
    expect(JSON.stringify(body)).not.toContain(String(new URL(dead.url).port));
    expect(dark.received).toHaveLength(0); // no baseline, no mirror
    expect((await fetch(`${proxy.adminUrl}/healthz`)).status).toBe(200);
  });

  it("survives clients that go away mid-request", async () => {
    const stable = await backend((req, res) => (req.url === "/slow" ? "hang" : json(res, { ok: true })));
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url });
    const controller = new AbortController();
    const pending = fetch(`${proxy.url}/slow`, { signal: controller.signal });
    await eventually(() => stable.received.length === 1, "stable to get the request");
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await (await fetch(`${proxy.url}/fast`)).json()).toEqual({ ok: true });
    // The abandoned request is nobody's failure and leaves no mirror place taken.
    await eventually(() => proxy.stats().mirrors.inflight === 0, "the mirrors' places");
    expect(proxy.stats().served.badGateway).toBe(0);
    expect(proxy.stats().calls.errors.stable).toBe(0);
    await stable.close();
  });
});
