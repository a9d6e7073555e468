import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { clientServing, deadUrl, eventually, json, ok, proxyTestKit } from "@darklaunch/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { startProxy } from "./start-proxy.js";

// The request path under failure and bad input: every case ends in a clear answer, mirror places
// and breaker probes always come back, and nothing is left unhandled.

const FLAG = "search-v2";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on("unhandledRejection", onUnhandled);
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

const { backend, proxyFor, cleanup } = proxyTestKit(FLAG);

/** Sends raw bytes and resolves with everything the proxy answered until it closed the connection. */
function raw(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let out = "";
    socket.on("data", (chunk: Buffer) => (out += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("close", () => resolve(out));
  });
}

const sha256 = (data: Buffer | Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("backends that fail mid-way", () => {
  it("counts stable resetting the connection mid-body as a stable error; the mirror's place comes back", async () => {
    const stable = await backend((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url });
    const response = await fetch(`${proxy.url}/reset`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow(); // the client sees the cut, not a short "complete" body
    await eventually(() => proxy.stats().calls.errors.stable === 1, "the stable error");
    await eventually(() => proxy.stats().mirrors.inflight === 0, "the mirror's place");
    expect(proxy.stats().comparisons.total).toBe(0); // no baseline: nothing compared
    expect((await fetch(`${proxy.adminUrl}/metrics`)).ok).toBe(true);
    expect(await (await fetch(`${proxy.adminUrl}/metrics`)).text()).toMatch(/^darklaunch_proxy_errors_total\{side="stable"\} 1$/m);
  });

  it("gives the mirror's place back when stable cannot be reached before reading a mirrored body", async () => {
    const dead = await deadUrl();
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: dead.url, dark: dark.url, mirrorMethods: ["POST"] });
    const response = await fetch(`${proxy.url}/orders`, { method: "POST", body: '{"qty":1}' });
    expect(response.status).toBe(502);
    await eventually(() => proxy.stats().mirrors.inflight === 0, "the mirror's place", 3_000);
  });

  it("ends a mirror whose dark side trickles its body for ever (timeout over the whole call)", async () => {
    const stable = await backend(ok);
    const dark = await backend((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const timer = setInterval(() => res.write("x"), 30);
      res.on("close", () => clearInterval(timer));
    });
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url, timeoutMs: 300 });
    expect((await fetch(`${proxy.url}/t`)).status).toBe(200);
    await eventually(() => proxy.stats().calls.errors.dark === 1, "the mirror to time out", 5_000);
    expect(proxy.stats().mirrors.inflight).toBe(0);
  });

  it("does not compare (and counts) a dark answer over the body limit; the place comes back", async () => {
    const stable = await backend(ok);
    const dark = await backend((_req, res) => res.end(Buffer.alloc(3 * 1024 * 1024, 1)));
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url, bodyLimit: 64 * 1024 });
    expect((await fetch(`${proxy.url}/big`)).status).toBe(200);
    await eventually(() => proxy.stats().mirrors.dropped.body_limit === 1, "the drop");
    expect(proxy.stats().mirrors.inflight).toBe(0);
    expect(proxy.stats().comparisons.total).toBe(0);
  });

  it("counts a stable answer over the body limit as not compared (body_limit)", async () => {
    const stable = await backend((_req, res) => res.end(Buffer.alloc(256 * 1024, 2)));
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url, bodyLimit: 64 * 1024 });
    const response = await fetch(`${proxy.url}/big`);
    expect((await response.arrayBuffer()).byteLength).toBe(256 * 1024); // the client gets it all
    await eventually(() => proxy.stats().mirrors.dropped.body_limit === 1, "the drop");
    expect(proxy.stats().mirrors.inflight).toBe(0);
    expect(proxy.stats().comparisons.total).toBe(0);
  });
});

describe("clients that go away", () => {
  it("split mode: a client leaving during the half-open probe does not leave the breaker stuck", async () => {
    const stable = await backend(ok);
    const dead = await deadUrl();
    const proxy = await proxyFor(clientServing(FLAG, "dark"), {
      stable: stable.url,
      dark: dead.url,
      breaker: { failures: 1, openMs: 100 },
    });
    expect(await (await fetch(`${proxy.url}/a`)).json()).toMatchObject({ from: "stable" }); // fallback; opens
    await eventually(() => proxy.stats().breakers[dead.url]?.state === "half-open", "half-open");
    const dark = await backend((req, res) => (req.url === "/hang" ? "hang" : json(res, { from: "dark" })), dead.port);

    const controller = new AbortController();
    const pending = fetch(`${proxy.url}/hang`, { signal: controller.signal }); // the probe
    await eventually(() => dark.received.length === 1, "the probe to reach dark");
    controller.abort();
    await expect(pending).rejects.toThrow();
    // The probe was given back: the next request probes again, is served by dark, and closes the breaker.
    await eventually(async () => {
      const body = (await (await fetch(`${proxy.url}/next`)).json()) as { from: string };
      return body.from === "dark";
    }, "a new probe");
    expect(proxy.stats().breakers[dead.url]?.state).toBe("closed");
    expect(proxy.stats().calls.errors.dark).toBe(1); // the abandoned probe is not dark's failure
  });

  it("a client leaving mid-download or mid-upload leaves nothing behind", async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const stable = await backend((req, res) => {
      if (req.url === "/upload") return json(res, { got: req.body.length });
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const timer = setInterval(() => res.write(chunk), 5);
      res.on("close", () => clearInterval(timer));
    });
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url, mirrorMethods: ["GET", "POST"] });

    const controller = new AbortController();
    const download = await fetch(`${proxy.url}/stream`, { signal: controller.signal });
    const reader = download.body?.getReader();
    await reader?.read();
    controller.abort();
    await expect(reader?.read()).rejects.toThrow();

    // Half a body, then the connection goes away.
    await new Promise<void>((resolve) => {
      const { port } = new URL(proxy.url);
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write("POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n");
        socket.write("y".repeat(1000), () => setTimeout(() => socket.destroy(), 50));
      });
      socket.on("close", () => resolve());
    });

    await eventually(() => proxy.stats().mirrors.inflight === 0, "the mirrors' places");
    // The client went away: not a failure of stable, and no 502 was attempted.
    expect(proxy.stats().calls.errors.stable).toBe(0);
    expect(proxy.stats().served.badGateway).toBe(0);
    expect((await fetch(`${proxy.url}/upload`, { method: "POST", body: "z" })).status).toBe(200);
    await eventually(() => proxy.stats().mirrors.inflight === 0, "the last mirror's place");
  });
});

describe("bad input gets a clear answer", () => {
  it("replaces an absurd x-request-id, on stable and on the mirror alike", async () => {
    const stable = await backend(ok);
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url });
    expect((await fetch(`${proxy.url}/id`, { headers: { "x-request-id": "r".repeat(10_240) } })).status).toBe(200);
    await eventually(() => dark.received.length === 1, "the mirror");
    const id = stable.received[0]?.headers["x-request-id"];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(dark.received[0]?.headers["x-request-id"]).toBe(id);
  });

  it("answers a request target that is not a path with 400, and reduces absolute-form to its path", async () => {
    const stable = await backend(ok);
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "stable"), { stable: stable.url, dark: dark.url });
    const star = await raw(proxy.url, "OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    expect(star).toMatch(/^HTTP\/1\.1 400 /);
    expect(star).toContain('"code":"BAD_REQUEST"');
    const absolute = await raw(proxy.url, "GET http://elsewhere.example/items?q=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    expect(absolute).toMatch(/^HTTP\/1\.1 200 /);
    expect(stable.received.map((r) => r.url)).toEqual(["/items?q=1"]);
  });

  it("refuses paths with dot segments, which could slip past a route's prefix", async () => {
    const stable = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "stable"), { stable: stable.url, dark: stable.url });
    for (const path of [
      "/api/../admin",
      "/api/%2e%2e/admin",
      "/./x",
      "/x/.",
      "/a/%2E/b",
      // Encoded separators, path parameters, backslashes and double encoding, which backends normalise.
      "/api/%2e%2e%2fadmin",
      "/api/..%2fadmin",
      "/api/..;/admin",
      "/api/.;x/admin",
      "/api/..\\admin",
      "/api/%2e%2e%5cadmin",
      "/api/%252e%252e/admin",
      "/api/%252e%252e%252fadmin",
      "/api/%25252e%25252e/admin",
    ]) {
      const answer = await raw(proxy.url, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('must not hold \\".\\" or \\"..\\" segments');
    }
    expect(stable.received).toHaveLength(0);
    // Dots inside names are fine, encoded or not.
    expect((await fetch(`${proxy.url}/v1.2/file.json..bak`)).status).toBe(200);
    expect((await fetch(`${proxy.url}/a/%2e%2e.x;v=1/b%2fc`)).status).toBe(200);
    expect(stable.received.map((r) => r.url)).toEqual(["/v1.2/file.json..bak", "/a/%2e%2e.x;v=1/b%2fc"]);
  });

  it("answers malformed requests and huge headers as node:http does (400, 431)", async () => {
    const stable = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "stable"), { stable: stable.url, dark: stable.url });
    expect(await raw(proxy.url, "GET /x HTTP/1.1\r\nbad header line\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(proxy.url, `GET /x HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect((await fetch(`${proxy.url}/still`)).status).toBe(200);
  });

  it("passes a POST with expect: 100-continue to stable (undici refuses the header)", async () => {
    const stable = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "stable"), { stable: stable.url, dark: stable.url });
    const { hostname, port } = new URL(proxy.url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest({
        host: hostname,
        port,
        method: "POST",
        path: "/upload",
        headers: { expect: "100-continue", "content-length": "5" },
      });
      req.on("continue", () => req.end("hello"));
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      });
      req.on("error", reject);
    });
    expect(status).toBe(200);
    expect(stable.received[0]).toMatchObject({ method: "POST", body: "hello" });
    expect(stable.received[0]?.headers.expect).toBeUndefined();
  });

  it("evaluates odd subjects without failing: array-valued, invalid cookies, repeated query params", async () => {
    const stable = await backend(ok);
    const dark = await backend(ok);
    for (const subject of ["cookie:uid", "query:user", "header:x-user-id"] as const) {
      const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url, subject });
      const cases: [string, Record<string, string>][] = [
        ["/q?user=a&user=b&user=%E0%A4%A", {}],
        ["/c", { cookie: 'uid=%E0%A4%A; ;; =; uid="quoted"; broken' }],
        ["/h", { "x-user-id": "x".repeat(8_000) }],
      ];
      for (const [path, headers] of cases) expect((await fetch(`${proxy.url}${path}`, { headers })).status).toBe(200);
    }
  });
});

describe("close() drains", () => {
  it("lets a request in flight finish with 200 while /healthz says draining", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stable = await backend((req, res) => (req.url === "/slow" ? void held.then(() => json(res, { slow: true })) : ok(req, res)));
    const dark = await backend(ok);
    const client = clientServing(FLAG, "shadow");
    const proxy = await startProxy(
      {
        listen: "127.0.0.1:0",
        adminListen: "127.0.0.1:0",
        routes: [{ match: { pathPrefix: "/" }, flag: FLAG, stable: stable.url, dark: dark.url }],
      },
      { client, warn: () => {} },
    );
    cleanup.push(() => client.close());
    expect((await fetch(`${proxy.adminUrl}/healthz`)).status).toBe(200);
    const inFlight = fetch(`${proxy.url}/slow`);
    await eventually(() => stable.received.length === 1, "the request to reach stable");
    const closed = proxy.close();
    const health = await fetch(`${proxy.adminUrl}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "draining" });
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ slow: true });
    await closed;
    await eventually(() => dark.received.length === 1, "the in-flight request's mirror"); // sent before close() resolved
    expect(proxy.stats().mirrors.inflight).toBe(0);
  });
});

describe("what passes through", () => {
  it("drops hop-by-hop fields both ways, sets forwarding fields, and marks mirrors", async () => {
    const stable = await backend((_req, res) => {
      res.writeHead(200, { connection: "x-internal", "x-internal": "1", "keep-alive": "timeout=5", "x-kept": "yes" });
      res.end("ok");
    });
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url, mirrorMethods: ["POST"] });
    const answer = await raw(
      proxy.url,
      [
        "POST /h?a=1 HTTP/1.1",
        "host: public.example",
        "connection: close, x-secret",
        "x-secret: 1",
        "te: trailers",
        "via: 1.0 edge",
        "x-forwarded-for: 10.0.0.1",
        // A client must not pass a real request off as a mirror.
        "x-dark-launch: shadow",
        "set-cookie: a=1",
        "set-cookie: b=2",
        "proxy-authorization: Basic eA==",
        "transfer-encoding: chunked",
        "",
        "5",
        "hello",
        "0",
        "",
        "",
      ].join("\r\n"),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nx-kept: yes\r\n/i);
    expect(answer).not.toMatch(/x-internal|keep-alive: timeout/i);
    const sent = stable.received[0];
    expect(sent?.body).toBe("hello");
    for (const name of ["x-secret", "te", "proxy-authorization"]) expect(sent?.headers[name]).toBeUndefined();
    expect(sent?.headers.host).toBe(new URL(stable.url).host);
    expect(sent?.headers["x-forwarded-host"]).toBe("public.example");
    expect(sent?.headers["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");
    expect(sent?.headers["x-forwarded-proto"]).toBe("http");
    expect(sent?.headers.via).toBe("1.0 edge, 1.1 darklaunch");
    expect(sent?.headers["x-dark-launch"]).toBeUndefined();
    expect(sent?.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    await eventually(() => dark.received.length === 1, "the mirror");
    const mirrored = dark.received[0];
    expect(mirrored).toMatchObject({ method: "POST", url: "/h?a=1", body: "hello" });
    expect(mirrored?.headers["x-dark-launch"]).toBe("shadow"); // once: not "shadow, shadow"
    expect(mirrored?.headers["x-request-id"]).toBe(sent?.headers["x-request-id"]);
    expect(mirrored?.headers["content-length"]).toBe("5"); // a fixed length, not chunked
    expect(mirrored?.headers.via).toBe("1.0 edge, 1.1 darklaunch");
    expect(mirrored?.headers["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");

    // A body with the client's own content-length: the mirror carries one field, not two.
    expect((await fetch(`${proxy.url}/h2`, { method: "POST", body: "abc" })).status).toBe(200);
    await eventually(() => dark.received.length === 2, "the second mirror");
    expect(dark.received[1]).toMatchObject({ url: "/h2", body: "abc" });
    expect(dark.received[1]?.headers["content-length"]).toBe("3");
    expect(mirrored?.headers["x-secret"]).toBeUndefined();
  });

  it("relays HEAD, 204 and 304 without a body, and a chunked multi-MiB body byte for byte", async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const stable = await backend((req, res) => {
      if (req.url === "/head") return res.writeHead(200, { "content-length": "1234", "content-type": "text/plain" }).end();
      if (req.url === "/204") return res.writeHead(204).end();
      if (req.url === "/304") return res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { "content-type": "application/octet-stream" }); // no length: chunked
      for (let at = 0; at < big.length; at += 100_000) res.write(big.subarray(at, at + 100_000));
      res.end();
    });
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url });
    const head = await fetch(`${proxy.url}/head`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("1234");
    expect(await head.text()).toBe("");
    const empty = await fetch(`${proxy.url}/204`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe("");
    const notModified = await fetch(`${proxy.url}/304`, { headers: { "if-none-match": '"v1"' } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toBe('"v1"');
    const streamed = await fetch(`${proxy.url}/big`);
    expect(streamed.headers.get("transfer-encoding")).toBe("chunked");
    expect(sha256(new Uint8Array(await streamed.arrayBuffer()))).toBe(sha256(big));
    await eventually(() => proxy.stats().mirrors.inflight === 0, "the mirrors");
  });
});

describe("small and large answers", () => {
  it("writes a small answer with its length, streams a large one with a length byte for byte to a slow reader", async () => {
    const small = Buffer.from(JSON.stringify({ items: Array.from({ length: 50 }, (_, i) => ({ i })) }));
    const large = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < large.length; i++) large[i] = (i * 31) % 251;
    const stable = await backend((req, res) => {
      const body = req.url === "/large" ? large : small;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
      res.end(body);
    });
    const dark = await backend(ok);
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { stable: stable.url, dark: dark.url, bodyLimit: 1024 });
    const a = await fetch(`${proxy.url}/small`);
    expect(a.headers.get("content-length")).toBe(String(small.length));
    expect(Buffer.from(await a.arrayBuffer()).equals(small)).toBe(true);
    // Read slowly: the proxy must wait for the client (backpressure), not buffer 5 MiB or cut it.
    const b = await fetch(`${proxy.url}/large`);
    expect(b.headers.get("content-length")).toBe(String(large.length));
    const reader = b.body?.getReader();
    const parts: Uint8Array[] = [];
    for (let n = 0; ; n++) {
      const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) break;
      parts.push(value);
      if (n % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sha256(Buffer.concat(parts))).toBe(sha256(large));
    // Over the body limit: served in full, not compared.
    await eventually(() => proxy.stats().mirrors.dropped.body_limit >= 1, "the large answer not compared");
    await eventually(() => proxy.stats().mirrors.inflight === 0, "the mirrors");
    expect(proxy.stats().calls.errors.stable).toBe(0);
  });
});

describe("metrics", () => {
  it("serves every series the issue lists, prefixed, labelled by route name and never by URL", async () => {
    const stable = await backend(ok);
    const dark = await backend((_req, res) => json(res, { from: "dark" }));
    const proxy = await proxyFor(clientServing(FLAG, "shadow"), { name: "search", stable: stable.url, dark: dark.url });
    expect((await fetch(`${proxy.url}/users/8f2c1e/orders?token=abc`)).status).toBe(200);
    await eventually(() => proxy.stats().comparisons.total === 1, "the comparison");
    const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect([...names].every((n) => n?.startsWith("darklaunch_proxy_"))).toBe(true);
    for (const name of [
      "darklaunch_proxy_requests_total",
      "darklaunch_proxy_errors_total",
      "darklaunch_proxy_request_duration_seconds",
      "darklaunch_proxy_mirrors_dropped_total",
      "darklaunch_proxy_mirror_inflight",
      "darklaunch_proxy_breaker_state",
      "darklaunch_proxy_comparisons_total",
      "darklaunch_proxy_divergence_ratio",
    ])
      expect(names).toContain(name);
    expect(text).toMatch(/^darklaunch_proxy_requests_total\{side="stable",route="search",status_class="2xx"\} 1$/m);
    expect(text).toMatch(/^darklaunch_proxy_requests_total\{side="dark",route="search",status_class="2xx"\} 1$/m);
    expect(text).toMatch(/^darklaunch_proxy_request_duration_seconds_count\{side="dark"\} 1$/m);
    expect(text).toMatch(/^darklaunch_proxy_divergence_ratio\{route="search"\} 1$/m);
    expect(text).not.toMatch(/8f2c1e|token|orders/);
  });
});
