import type { ObservationBatch } from "@darklaunch/core";
import { afterEach, describe, expect, it } from "vitest";
import { type ClientOptions, createClient, type DarkLaunchClient, type SdkError } from "./index.js";
import { boolFlag, type FakeServer, readJson, rulesetWith, sleep, startFakeServer, streamOf, waitFor } from "./test-fake-server.js";

// Reporting is checked against a real HTTP server on an ephemeral port that serves the SDK stream
// and captures what reaches `POST /api/v1/observations`, or fails in chosen ways.

const fakes: FakeServer[] = [];
const clients: DarkLaunchClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const f of fakes.splice(0)) await f.close();
});

const OBSERVATIONS = "/api/v1/observations";
const NOW = Date.parse("2026-11-22T07:31:20.000Z");

async function fake(): Promise<FakeServer> {
  const server = await startFakeServer();
  fakes.push(server);
  const snapshot = { revision: 1, ruleset: rulesetWith([boolFlag("pricing-v2", true)]) };
  server.handle(
    "/api/v1/sdk/stream",
    streamOf(
      () => server,
      () => snapshot,
    ),
  );
  return server;
}

function client(server: FakeServer, options: ClientOptions = {}): DarkLaunchClient {
  const created = createClient({
    url: server.url,
    token: "dl_sdk_test",
    telemetry: false,
    instance: "test-instance",
    now: () => NOW,
    ...options,
    observations: options.observations === false ? false : { flushIntervalMs: 60_000, ...options.observations },
  });
  clients.push(created);
  return created;
}

function record(c: DarkLaunchClient, route: string, latencies: number[], errors = 0): void {
  latencies.forEach((latencyMs, i) => {
    c.observations.recordRequest({ flag: "pricing-v2", route, side: "baseline", latencyMs });
    c.observations.recordRequest({ flag: "pricing-v2", route, side: "dark", latencyMs: latencyMs * 2, error: i < errors });
  });
}

/** A handler for the observations endpoint answering `statuses` in turn (then 202), keeping accepted bodies. */
function answering(server: FakeServer, statuses: number[], accepted: ObservationBatch[], auth: string[] = []): void {
  server.handle(OBSERVATIONS, (request, response) => {
    auth.push(String(request.headers.authorization));
    void readJson(request).then((body) => {
      const status = statuses.shift() ?? 202;
      if (status < 300) accepted.push(body as ObservationBatch);
      response.writeHead(status, { "content-type": "application/json" }).end(status < 300 ? "" : '{"code":"NOPE"}');
    });
  });
}

function totals(batches: readonly ObservationBatch[]): { baseline: number; dark: number; darkErrors: number; windows: number } {
  const windows = batches.flatMap((b) => b.windows);
  return {
    baseline: windows.reduce((n, w) => n + w.baseline.requests, 0),
    dark: windows.reduce((n, w) => n + w.dark.requests, 0),
    darkErrors: windows.reduce((n, w) => n + w.dark.errors, 0),
    windows: windows.length,
  };
}

describe("observation reporting", () => {
  it("posts the recorded windows, exactly, with the client's token and instance, every interval", async () => {
    const server = await fake();
    const accepted: ObservationBatch[] = [];
    const auth: string[] = [];
    answering(server, [], accepted, auth);
    const c = client(server, { observations: { flushIntervalMs: 100 } });
    await c.ready();
    record(c, "GET /cart", [5, 10, 20], 1);
    record(c, "GET /prices", [7]);
    // The server keeps the body before it answers, so wait for the client to have read the answer.
    await waitFor<number>(
      (l) => {
        const timer = setInterval(() => l(c.observationStats().sentWindows), 10);
        return () => clearInterval(timer);
      },
      (n) => n > 0,
      5_000,
    );
    expect(auth).toEqual(["Bearer dl_sdk_test"]);
    expect(accepted).toHaveLength(1);
    const batch = accepted[0]!;
    expect(batch.instance).toBe("test-instance");
    const byRoute = Object.fromEntries(batch.windows.map((w) => [w.route, w]));
    expect(byRoute["GET /cart"]).toMatchObject({
      flag: "pricing-v2",
      source: "sdk",
      start: "2026-11-22T07:31:00.000Z",
      baseline: { requests: 3, errors: 0, reservoir: [5, 10, 20], latency: { count: 3, min: 5, max: 20 } },
      dark: { requests: 3, errors: 1, reservoir: [10, 20, 40], latency: { count: 3, min: 10, max: 40 } },
      comparison: { total: 0 },
      samples: [],
    });
    expect(byRoute["GET /prices"]).toMatchObject({ baseline: { requests: 1 }, dark: { requests: 1, errors: 0 } });
    expect(c.observationStats()).toMatchObject({ sentWindows: 2, rejectedWindows: 0, failedPosts: 0, pendingWindows: 0 });
  });

  it("flushes on close, with the `proxy` source when asked", async () => {
    const server = await fake();
    const c = client(server, { observations: { source: "proxy" } });
    await c.ready();
    record(c, "GET /cart", [1, 2]);
    await c.close();
    expect(server.observations).toHaveLength(1);
    const batch = server.observations[0] as ObservationBatch;
    expect(batch.windows).toHaveLength(1);
    expect(batch.windows[0]).toMatchObject({ source: "proxy", route: "GET /cart", baseline: { requests: 2 } });
  });

  it("an experiment's observations reach the server on close", async () => {
    const server = await fake();
    const c = client(server);
    await c.ready();
    const value = await c.experiment("pricing-v2", { id: "u1" }, { control: () => ({ price: 10 }), candidate: () => ({ price: 11 }) });
    expect(value).toEqual({ price: 10 });
    await c.close();
    const [window] = (server.observations[0] as ObservationBatch).windows;
    expect(window).toMatchObject({
      flag: "pricing-v2",
      route: "pricing-v2",
      baseline: { requests: 1 },
      dark: { requests: 1 },
      comparison: { total: 1, mismatched: 1, fields: { "body.price": 1 } },
    });
  });

  it("on 503, 429 or no answer the windows are put back and sent with later ones at the next interval", async () => {
    const server = await fake();
    const accepted: ObservationBatch[] = [];
    answering(server, [503, 429], accepted);
    const c = client(server);
    const errors: SdkError[] = [];
    c.on("error", (e) => errors.push(e));
    await c.ready();
    record(c, "GET /cart", [1, 2, 3], 2);
    await c.flushObservations();
    expect(c.observationStats()).toMatchObject({ failedPosts: 1, sentWindows: 0, pendingWindows: 1 });
    record(c, "GET /cart", [4]);
    await c.flushObservations();
    expect(c.observationStats()).toMatchObject({ failedPosts: 2, sentWindows: 0, pendingWindows: 1 });
    await c.flushObservations();
    expect(accepted).toHaveLength(1);
    expect(totals(accepted)).toEqual({ baseline: 4, dark: 4, darkErrors: 2, windows: 1 });
    expect(accepted[0]!.windows[0]!.baseline.reservoir.sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    expect(c.observationStats()).toMatchObject({ failedPosts: 2, sentWindows: 1, rejectedWindows: 0, droppedObservations: 0 });
    expect(errors).toEqual([]);
  });

  it("windows put back past maxPendingWindows are dropped and counted", async () => {
    const server = await fake();
    const accepted: ObservationBatch[] = [];
    answering(server, [503], accepted);
    const c = client(server, { observations: { maxPendingWindows: 3 } });
    await c.ready();
    record(c, "a", [1]);
    record(c, "b", [1]);
    await c.flushObservations(); // 503: a and b go back
    record(c, "c", [1]);
    record(c, "d", [1]); // a, b, c are held: d is dropped (2 observations)
    expect(c.observationStats()).toMatchObject({ pendingWindows: 3, droppedObservations: 2 });
    await c.flushObservations();
    expect(totals(accepted)).toMatchObject({ windows: 3, baseline: 3 });
  });

  it("on a 400 the windows are dropped, counted and reported, and not sent again", async () => {
    const server = await fake();
    const accepted: ObservationBatch[] = [];
    answering(server, [400], accepted);
    const c = client(server);
    const errors: SdkError[] = [];
    c.on("error", (e) => errors.push(e));
    await c.ready();
    record(c, "GET /cart", [1]);
    record(c, "GET /list", [1]);
    await c.close();
    expect(server.counts[OBSERVATIONS]).toBe(1);
    expect(accepted).toEqual([]);
    expect(c.observationStats()).toMatchObject({ sentWindows: 0, rejectedWindows: 2, failedPosts: 1, pendingWindows: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "OBSERVATIONS_FAILED", status: 400 });
  });

  it("sends at most 1 000 windows a POST", async () => {
    const server = await fake();
    const c = client(server);
    await c.ready();
    for (let i = 0; i < 1_500; i++) record(c, `GET /r${i}`, [1]);
    await c.close();
    expect(server.observations.map((b) => (b as ObservationBatch).windows.length)).toEqual([1_000, 500]);
    expect(c.observationStats().sentWindows).toBe(1_500);
  });

  it("close() gives up on a server that does not answer, within closeTimeoutMs", async () => {
    const server = await fake();
    server.handle(OBSERVATIONS, () => {}); // never answers
    const c = client(server, { closeTimeoutMs: 300 });
    await c.ready();
    record(c, "GET /cart", [1]);
    const started = performance.now();
    await c.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(c.observationStats()).toMatchObject({ failedPosts: 1, sentWindows: 0 });
  });

  it("`observations: false` sends nothing", async () => {
    const server = await fake();
    const c = client(server, { observations: false });
    await c.ready();
    record(c, "GET /cart", [1]);
    await c.close();
    await sleep(20);
    expect(server.counts[OBSERVATIONS]).toBeUndefined();
  });
});

describe("observation windows of a server run with short minutes", () => {
  it("takes the minute the server's answer tells, for the windows recorded from then on", async () => {
    const server = await fake();
    const accepted: ObservationBatch[] = [];
    server.handle(OBSERVATIONS, (request, response) => {
      void readJson(request).then((body) => {
        accepted.push(body as ObservationBatch);
        response.writeHead(202, { "content-type": "application/json" }).end('{"accepted":1,"skipped":[],"minuteMs":2000}');
      });
    });
    const c = client(server);
    await c.ready();
    expect(c.observations.minute).toBe(60_000);
    record(c, "GET /cart", [5]);
    await c.flushObservations();
    expect(c.observations.minute).toBe(2_000);
    record(c, "GET /cart", [5]);
    await c.flushObservations();
    expect(accepted.map((b) => b.windows.map((w) => w.start))).toEqual([["2026-11-22T07:31:00.000Z"], ["2026-11-22T07:31:20.000Z"]]);
  });

  it("keeps a minute given in the options, whatever the server says", async () => {
    const server = await fake();
    server.handle(OBSERVATIONS, (request, response) => {
      void readJson(request).then(() =>
        response.writeHead(202, { "content-type": "application/json" }).end('{"accepted":1,"skipped":[],"minuteMs":2000}'),
      );
    });
    const c = client(server, { observations: { minuteMs: 500 } });
    await c.ready();
    expect(c.observations.minute).toBe(500);
    record(c, "GET /cart", [5]);
    await c.flushObservations();
    expect(c.observations.minute).toBe(500);
    expect(() => createClient({ url: server.url, token: "t", observations: { minuteMs: 0 } })).toThrow(/observations.minuteMs/);
  });
});
