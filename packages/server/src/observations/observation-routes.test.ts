import { LatencySketch, type ObservationWindow } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";
import { minutesAgo, range, sample, window } from "./test-windows.js";

const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;
/** The start of a ten-minute block well inside the last hour (every default period covers it). */
const BASE = Math.floor(minutesAgo(40) / (10 * MIN)) * 10 * MIN;

const post = (t: TestServer, windows: unknown[], scope: "sdk" | "admin" | "read" = "sdk") =>
  t.request("POST", "/api/v1/observations", { instance: "proxy-1", windows }, { scope });

async function rowCount(t: TestServer): Promise<number> {
  const row = await t.server.database.db
    .selectFrom("observation_windows")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe.each(STORE_FACTORIES)("observations API on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, async (server) => {
    t = server;
    if (!t) return;
    for (const key of [
      "o-read",
      "o-merge",
      "o-race",
      "o-bad",
      "o-series",
      "o-diff",
      "o-archived",
      "o-simple",
      "o-secret",
      "o-partial",
      "o-paired",
    ]) {
      await t.request("POST", "/api/v1/flags", testFlag(key));
    }
    await t.request("POST", "/api/v1/flags/o-archived/archive");
  });

  it("takes a window a service writes by hand: raw latencies, one side, no counters", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const simple = {
      flag: "o-simple",
      source: "api",
      route: "POST /pay",
      start: iso(BASE),
      dark: { errors: 1, latenciesMs: [10, 20, 30, 40] },
    };
    expect((await post(t, [simple, simple])).body).toEqual({ accepted: 2, skipped: [], minuteMs: 60_000 });
    const read = await t.request("GET", `/api/v1/flags/o-simple/observations?since=${iso(BASE)}&until=${iso(BASE + MIN)}`, undefined, {
      scope: "read",
    });
    expect(read.body.totals.dark).toMatchObject({ requests: 8, errors: 2, errorRate: 0.25, mean: 25 });
    expect(read.body.totals.baseline).toMatchObject({ requests: 0, errors: 0, errorRate: null, p99: null });
    expect(read.body.totals.comparison).toEqual({ total: 0, matched: 0, mismatched: 0, divergenceRate: null });
    const bad = await post(t, [{ ...simple, dark: { requests: 5, latenciesMs: [1] } }]);
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([
      { path: "windows[0].dark.requests", message: "requests must equal the number of latenciesMs (or be left out)" },
    ]);
  });

  it("stores a posted window and reads back its exact counts", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const posted = await post(t, [
      window("o-read", BASE, {
        baseline: range(120, 10),
        dark: range(60, 20, 2),
        baselineErrors: 3,
        darkErrors: 6,
        comparison: { total: 60, mismatched: 15, fields: { "body.price": 15 } },
      }),
    ]);
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ accepted: 1, skipped: [], minuteMs: 60_000 });
    const read = await t.request("GET", `/api/v1/flags/o-read/observations?since=${iso(BASE)}&until=${iso(BASE + MIN)}`, undefined, {
      scope: "read",
    });
    expect(read.status).toBe(200);
    const baseline = new LatencySketch();
    for (const ms of range(120, 10)) baseline.record(ms);
    const expectedBaseline = {
      requests: 120,
      errors: 3,
      errorRate: 0.025,
      mean: baseline.sum / 120,
      p50: baseline.quantile(0.5),
      p95: baseline.quantile(0.95),
      p99: baseline.quantile(0.99),
      requestRate: 2,
    };
    expect(read.body).toMatchObject({ flag: "o-read", since: iso(BASE), until: iso(BASE + MIN), step: "1m", stepSeconds: 60 });
    expect(read.body.series).toEqual([
      {
        start: iso(BASE),
        baseline: expectedBaseline,
        dark: expect.objectContaining({ requests: 60, errors: 6, errorRate: 0.1, requestRate: 1 }),
        comparison: { total: 60, matched: 45, mismatched: 15, divergenceRate: 0.25 },
        // Not shadow mode's pairs: none reported.
        paired: null,
      },
    ]);
    expect(read.body.totals.baseline).toEqual(expectedBaseline);
    expect(read.body.totals.comparison.divergenceRate).toBe(0.25);

    const byDefault = await t.request("GET", "/api/v1/flags/o-read/observations", undefined, { scope: "read" });
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.series).toHaveLength(61);
    expect(byDefault.body.totals.baseline.requests).toBe(120);
    expect(Date.parse(byDefault.body.until) - Date.parse(byDefault.body.since)).toBeGreaterThanOrEqual(3_600_000);
  });

  it("merges reports of the same window from two proxies to the exact totals", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await post(t, [
      window("o-merge", BASE, { baseline: range(30), dark: range(10), darkErrors: 2, comparison: { total: 10, mismatched: 4 } }),
    ]);
    await post(t, [
      window("o-merge", BASE, { baseline: range(20), dark: range(5), darkErrors: 1, comparison: { total: 5, mismatched: 1 } }),
    ]);
    const read = await t.request("GET", `/api/v1/flags/o-merge/observations?since=${iso(BASE)}&until=${iso(BASE + MIN)}`);
    expect(read.body.totals).toMatchObject({
      baseline: { requests: 50, errors: 0 },
      dark: { requests: 15, errors: 3, errorRate: 0.2 },
      comparison: { total: 15, matched: 10, mismatched: 5 },
    });
    expect(await rowCount(t)).toBeGreaterThan(0);
  });

  it("answers shadow mode's paired counters per step and in totals, merged exactly; null where no window had pairs", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    // Lost mirrors: counted by the first reporter, not by the second (an older one).
    const pairedA = { bothErr: 1, darkOnlyErr: 3, baseOnlyErr: 0, slower: 6, faster: 1, tie: 3, lost: 4 };
    const pairedB = { bothErr: 0, darkOnlyErr: 1, baseOnlyErr: 2, slower: 1, faster: 2, tie: 7 };
    await post(t, [window("o-paired", BASE, { baselineErrors: 1, darkErrors: 4, paired: pairedA })]);
    const second = await post(t, [
      window("o-paired", BASE, { baselineErrors: 2, darkErrors: 1, paired: pairedB }),
      window("o-paired", BASE + 2 * MIN, { baselineErrors: 0, darkErrors: 1, paired: { ...pairedB, baseOnlyErr: 0 } }),
      // A split-mode window in its own step: no pairs there.
      window("o-paired", BASE + 4 * MIN),
    ]);
    expect(second.status).toBe(202);
    const read = await t.request("GET", `/api/v1/flags/o-paired/observations?since=${iso(BASE)}&until=${iso(BASE + 5 * MIN)}&step=2m`);
    expect(read.status).toBe(200);
    expect(read.body.series.map((p: { paired: unknown }) => p.paired)).toEqual([
      { pairs: 20, bothErr: 1, darkOnlyErr: 4, baseOnlyErr: 2, slower: 7, faster: 3, tie: 10, lost: 4 },
      { pairs: 10, bothErr: 0, darkOnlyErr: 1, baseOnlyErr: 0, slower: 1, faster: 2, tie: 7 },
      null,
    ]);
    expect(read.body.totals.paired).toEqual({
      pairs: 30,
      bothErr: 1,
      darkOnlyErr: 5,
      baseOnlyErr: 2,
      slower: 8,
      faster: 5,
      tie: 17,
      lost: 4,
    });
    const none = await t.request("GET", `/api/v1/flags/o-paired/observations?since=${iso(BASE + 4 * MIN)}&until=${iso(BASE + 5 * MIN)}`);
    expect(none.body.totals.paired).toBeNull();
  });

  it("counts all of 20 concurrent posts to one window", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const server = t;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(server, [window("o-race", BASE, { baseline: range(3), dark: range(2) })])),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const read = await t.request("GET", `/api/v1/flags/o-race/observations?since=${iso(BASE)}&until=${iso(BASE + MIN)}`);
    expect(read.body.totals.baseline.requests).toBe(60);
    expect(read.body.totals.dark.requests).toBe(40);
  });

  it("refuses an invalid batch naming every bad field, and stores none of it", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const before = await rowCount(t);
    const tooManyErrors = window("o-bad", BASE);
    tooManyErrors.dark.errors = 11;
    const badSource = { ...window("o-bad", BASE + MIN), source: "carrier-pigeon" };
    const answer = await post(t, [window("o-bad", BASE), badSource, tooManyErrors, { ...window("o-bad", BASE), start: iso(BASE + 1_000) }]);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe("VALIDATION_FAILED");
    const paths = answer.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(["windows[1].source", "windows[2].dark.errors", "windows[3].start"]);
    expect(answer.body.message).toContain("windows[2].dark.errors: errors must not exceed requests");
    for (const body of [[], "text", { windows: "no" }, { windows: [], extra: 1 }]) {
      const bad = await t.request("POST", "/api/v1/observations", body, { scope: "sdk" });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect(await rowCount(t)).toBe(before);
  });

  it("skips and reports windows of unknown flags, stores those of archived ones", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const answer = await post(t, [
      window("o-archived", BASE),
      window("ghost", BASE),
      window("o-archived", BASE, { route: "b" }),
      window("ghost-2", BASE),
    ]);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      accepted: 2,
      skipped: [
        { index: 1, flag: "ghost", reason: "UNKNOWN_FLAG" },
        { index: 3, flag: "ghost-2", reason: "UNKNOWN_FLAG" },
      ],
      minuteMs: 60_000,
    });
    const read = await t.request("GET", `/api/v1/flags/o-archived/observations?since=${iso(BASE)}&until=${iso(BASE + MIN)}`);
    expect(read.body.totals.baseline.requests).toBe(20);
    const ghost = await t.request("GET", "/api/v1/flags/ghost/observations");
    expect(ghost.status).toBe(404);
    expect(ghost.body).toEqual({ code: "NOT_FOUND", message: 'flag "ghost" does not exist' });
    expect((await t.request("GET", "/api/v1/flags/ghost/mismatches")).status).toBe(404);
  });

  it("lets sdk (and admin) tokens post and read tokens read, not the other way round", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    expect((await post(t, [], "sdk")).status).toBe(202);
    expect((await post(t, [], "admin")).status).toBe(202);
    const refused = await post(t, [window("o-read", BASE)], "read");
    expect(refused.status).toBe(403);
    expect((await t.request("GET", "/api/v1/flags/o-read/observations", undefined, { scope: "read" })).status).toBe(200);
    expect((await t.request("GET", "/api/v1/flags/o-read/mismatches", undefined, { scope: "read" })).status).toBe(200);
    expect((await t.request("GET", "/api/v1/flags/o-read/observations", undefined, { scope: "sdk" })).status).toBe(403);
    expect((await t.request("GET", "/api/v1/flags/o-read/observations", undefined, { scope: "none" })).status).toBe(401);
  });

  it("answers a series in steps, empty steps included, filtered by source and route", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await post(t, [
      window("o-series", BASE, { baseline: range(60), dark: range(30), darkErrors: 3, comparison: { total: 30, mismatched: 6 } }),
      window("o-series", BASE + MIN, { baseline: range(60), dark: range(30), comparison: { total: 30, mismatched: 0 } }),
      window("o-series", BASE + 4 * MIN, { baseline: range(12), dark: range(6) }),
      window("o-series", BASE + 4 * MIN, { baseline: range(24), dark: range(24), source: "sdk", route: "checkout" }),
      window("o-series", BASE + 6 * MIN, { baseline: range(1), dark: range(1) }),
    ]);
    const read = await t.request(
      "GET",
      `/api/v1/flags/o-series/observations?since=${iso(BASE + 20_000)}&until=${iso(BASE + 6 * MIN)}&step=2m`,
    );
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ since: iso(BASE), until: iso(BASE + 6 * MIN), step: "2m", stepSeconds: 120 });
    const rows = read.body.series.map(
      (p: {
        start: string;
        baseline: { requests: number; requestRate: number };
        dark: { errors: number };
        comparison: { divergenceRate: number | null };
      }) => [p.start, p.baseline.requests, p.baseline.requestRate, p.dark.errors, p.comparison.divergenceRate],
    );
    expect(rows).toEqual([
      [iso(BASE), 120, 1, 3, 0.1],
      [iso(BASE + 2 * MIN), 0, 0, 0, null],
      [iso(BASE + 4 * MIN), 36, 0.3, 0, null],
    ]);
    expect(read.body.series[1].baseline).toEqual({
      requests: 0,
      errors: 0,
      errorRate: null,
      mean: null,
      p50: null,
      p95: null,
      p99: null,
      requestRate: 0,
    });
    expect(read.body.totals.baseline).toMatchObject({ requests: 156, requestRate: 156 / 360 });

    const proxyOnly = await t.request(
      "GET",
      `/api/v1/flags/o-series/observations?since=${iso(BASE)}&until=${iso(BASE + 10 * MIN)}&step=5m&source=proxy`,
    );
    expect(proxyOnly.body.series.map((p: { baseline: { requests: number } }) => p.baseline.requests)).toEqual([132, 1]);
    const route = await t.request(
      "GET",
      `/api/v1/flags/o-series/observations?since=${iso(BASE)}&until=${iso(BASE + 10 * MIN)}&step=10m&route=checkout`,
    );
    expect(route.body.series.map((p: { dark: { requests: number } }) => p.dark.requests)).toEqual([24]);
  });

  it("rates a step cut short by until over the time it covers, and leaves out a window starting at until", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await post(t, [
      window("o-partial", BASE, { baseline: range(120) }),
      window("o-partial", BASE + 4 * MIN, { baseline: range(60) }),
      window("o-partial", BASE + 5 * MIN, { baseline: range(999) }),
    ]);
    // 2m steps over 5 minutes: the last step holds one minute only.
    const read = await t.request("GET", `/api/v1/flags/o-partial/observations?since=${iso(BASE)}&until=${iso(BASE + 5 * MIN)}&step=2m`);
    expect(read.status).toBe(200);
    expect(
      read.body.series.map((p: { start: string; baseline: { requests: number; requestRate: number } }) => [
        p.start,
        p.baseline.requests,
        p.baseline.requestRate,
      ]),
    ).toEqual([
      [iso(BASE), 120, 1],
      [iso(BASE + 2 * MIN), 0, 0],
      [iso(BASE + 4 * MIN), 60, 1],
    ]);
    expect(read.body.totals.baseline).toMatchObject({ requests: 180, requestRate: 180 / 300 });
  });

  it("stores what a service posts redacted, and sorts samples sent with any zone newest first", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const secretSample = {
      at: new Date(BASE + 5_000).toISOString().replace("Z", "+00:00"),
      url: "/users/ann@example.com?token=Bearer%20abc123",
      differences: [
        { path: "headers.Authorization", location: "headers.Authorization", kind: "changed", baseline: "Basic dXNlcjpwYXNz", dark: "x" },
        {
          path: 'body.byEmail["bob@example.com"]',
          location: 'body.users[card="4111111111111111"]',
          kind: "added",
          dark: { jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln" },
        },
      ],
    };
    const later = { at: iso(BASE + 9_000), differences: [] };
    const answer = await post(t, [
      {
        ...window("o-secret", BASE, { comparison: { total: 2, mismatched: 2, fields: { 'body.byEmail["bob@example.com"]': 2 } } }),
        samples: [secretSample, later],
      },
    ]);
    expect(answer.status).toBe(202);
    const rows = await t.server.database.db.selectFrom("observation_windows").select("data").where("flag_key", "=", "o-secret").execute();
    const stored = JSON.stringify(rows);
    for (const secret of ["ann@", "abc123", "dXNlcjpwYXNz", "bob@", "4111111111111111", "eyJhbGci"]) expect(stored).not.toContain(secret);
    const read = await t.request("GET", `/api/v1/flags/o-secret/mismatches?since=${iso(BASE)}&until=${iso(BASE + MIN)}`);
    expect(read.body.samples.map((s: { at: string }) => s.at)).toEqual([iso(BASE + 9_000), iso(BASE + 5_000)]);
    expect(read.body.fields.map((f: { path: string }) => f.path)).toEqual(['body.byEmail["[REDACTED]"]']);
  });

  it("refuses bad since, until, step, source and limit with 400 naming the parameter", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const cases: [string, string][] = [
      ["step=30s", "step"],
      ["step=0m", "step"],
      ["step=90s", "step"],
      ["step=often", "step"],
      ["since=7d&step=1m", "step"],
      ["since=yesterday", "since"],
      ["until=soon", "until"],
      [`since=${iso(BASE)}&until=${iso(BASE - MIN)}`, "since"],
      ["source=carrier", "source"],
      ["colour=blue", ""],
    ];
    for (const [query, path] of cases) {
      const answer = await t.request("GET", `/api/v1/flags/o-series/observations?${query}`);
      expect(answer.status, query).toBe(400);
      expect(
        answer.body.details.map((d: { path: string }) => d.path),
        query,
      ).toEqual([path]);
    }
    expect((await t.request("GET", "/api/v1/flags/o-series/observations?since=7d&step=15m")).status).toBe(200);
    const thousand = await t.request("GET", `/api/v1/flags/o-series/observations?since=${iso(BASE - 1000 * MIN)}&until=${iso(BASE)}`);
    expect(thousand.body.series).toHaveLength(1000);
    const tooMany = await t.request("GET", `/api/v1/flags/o-series/observations?since=${iso(BASE - 1000 * MIN)}&until=${iso(BASE + 1)}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain("step: gives 1001 steps from since to until; at most 1000 are answered");
    for (const query of ["limit=0", "limit=101", "limit=many"]) {
      const answer = await t.request("GET", `/api/v1/flags/o-diff/mismatches?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.details[0].path).toBe("limit");
    }
  });

  it("reports mismatching fields with Diffy's rule and the newest samples first", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const windows: ObservationWindow[] = [
      window("o-diff", BASE, {
        comparison: { total: 100, mismatched: 60, noiseTotal: 100, fields: { "body.price": 30, "body.id": 50 }, noise: { "body.id": 48 } },
        samples: [sample(BASE + 1_000, "body.price", 10, 12), sample(BASE + 3_000, "body.id", "a", "b")],
      }),
      window("o-diff", BASE + MIN, {
        source: "sdk",
        route: "checkout",
        comparison: { total: 100, mismatched: 10, noiseTotal: 100, fields: { "body.price": 10 }, noise: { "body.id": 52 } },
        samples: [sample(BASE + MIN + 1_000, "body.price", 11, 13), sample(BASE + 2_000, "body.price", 9, 1)],
      }),
    ];
    await post(t, windows);
    const answer = await t.request(
      "GET",
      `/api/v1/flags/o-diff/mismatches?since=${iso(BASE)}&until=${iso(BASE + 2 * MIN)}&limit=3`,
      undefined,
      { scope: "read" },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ flag: "o-diff", since: iso(BASE), until: iso(BASE + 2 * MIN) });
    expect(answer.body.comparison).toEqual({ total: 200, matched: 130, mismatched: 70, divergenceRate: 0.35 });
    expect(answer.body.fields).toEqual([
      { path: "body.id", differences: 50, rate: 0.25, noise: 100, noiseRate: 0.5, significant: false },
      { path: "body.price", differences: 40, rate: 0.2, noise: 0, noiseRate: 0, significant: true },
    ]);
    expect(answer.body.samples.map((s: { at: string; route: string; source: string }) => [s.at, s.source, s.route])).toEqual([
      [iso(BASE + MIN + 1_000), "sdk", "checkout"],
      [iso(BASE + 3_000), "proxy", "GET /items"],
      [iso(BASE + 2_000), "sdk", "checkout"],
    ]);
    expect(answer.body.samples[0].differences).toEqual([
      { path: "body.price", location: "body.price", kind: "changed", baseline: 11, dark: 13 },
    ]);
    // Per route and source, most mismatches first; body.id is noise on GET /items, so only body.price counts beyond it.
    expect(
      answer.body.routes.map(
        (r: { route: string; source: string; comparison: { mismatched: number }; beyondNoise: number; realFields: number }) => [
          r.source,
          r.route,
          r.comparison.mismatched,
          r.beyondNoise,
          r.realFields,
        ],
      ),
    ).toEqual([
      ["proxy", "GET /items", 60, 30, 1],
      ["sdk", "checkout", 10, 10, 1],
    ]);
    expect(answer.body.routes[0].dark).toEqual({ requests: 10, errors: 0, errorRate: 0 });
    const proxy = await t.request("GET", `/api/v1/flags/o-diff/mismatches?since=${iso(BASE)}&until=${iso(BASE + 2 * MIN)}&source=proxy`);
    expect(proxy.body.comparison.total).toBe(100);
    expect(proxy.body.fields.map((f: { path: string; significant: boolean }) => [f.path, f.significant])).toEqual([
      ["body.id", false],
      ["body.price", true],
    ]);
    expect(proxy.body.samples).toHaveLength(2);
  });
});

describe.each(STORE_FACTORIES.slice(0, 1))("observations body limit on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(
    factory,
    async (server) => {
      t = server;
      await t?.request("POST", "/api/v1/flags", testFlag("o-big"));
    },
    { bodyLimit: 50_000 },
  );

  it("answers 413 to a batch over the body limit and stores nothing", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const windows = Array.from({ length: 40 }, (_, i) => window("o-big", BASE, { route: `r${i}`, baseline: range(100) }));
    const answer = await post(t, windows);
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe("BODY_TOO_LARGE");
    expect(await rowCount(t)).toBe(0);
  });
});
