import { GCProfiler, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type DarkLaunchClient } from "./index.js";
import { type FakeServer, rulesetWith, startFakeServer, streamOf } from "./test-fake-server.js";

// The claim of issue #16: on a warm snapshot `isEnabled`, `variant` and `value` allocate nothing per
// call, telemetry on or off. Measured with v8's own figures: heapUsed growth over many calls plus
// what every collection that ran meanwhile freed (GCProfiler reports each one synchronously), after
// a full collection so that no older garbage is counted. A per-call result object (≈ 100 bytes)
// would show as ≈ 100 bytes per call; the bound is 1.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function bytesPerCall(calls: number, run: () => void): number {
  gc();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  run();
  const after = process.memoryUsage().heapUsed;
  let freed = 0;
  for (const entry of profiler.stop()?.statistics ?? []) {
    freed += entry.beforeGC.heapStatistics.usedHeapSize - entry.afterGC.heapStatistics.usedHeapSize;
  }
  return (after - before + freed) / calls;
}

const BETA = Array.from({ length: 20 }, (_, i) => `u${i * 37}`);
const FLAGS = [
  {
    key: "rollout",
    enabled: true,
    variants: { on: true, off: false },
    offVariant: "off",
    rules: [
      { id: "beta", conditions: [{ attribute: "id", op: "in", values: BETA }], serve: { variant: "on" } },
      {
        id: "eu-pro",
        conditions: [
          { attribute: "country", op: "in", values: ["NL", "DE"] },
          { attribute: "plan", op: "in", values: ["pro"] },
        ],
        serve: { variant: "on" },
      },
    ],
    fallthrough: {
      split: [
        { variant: "on", weight: 10 },
        { variant: "off", weight: 90 },
      ],
    },
  },
  {
    key: "colour",
    enabled: true,
    variants: { red: "red", green: "green", blue: "blue" },
    offVariant: "red",
    rules: [{ id: "vip", conditions: [{ attribute: "tags", op: "in", values: ["vip"] }], serve: { variant: "blue" } }],
    fallthrough: {
      split: [
        { variant: "red", weight: 34 },
        { variant: "green", weight: 33 },
        { variant: "blue", weight: 33 },
      ],
    },
  },
  {
    key: "gated",
    enabled: true,
    variants: { on: true, off: false },
    offVariant: "off",
    prerequisites: [{ flag: "rollout", variant: "on" }],
    fallthrough: { variant: "on" },
  },
  { key: "dark", enabled: false, variants: { on: true, off: false }, offVariant: "off", fallthrough: { variant: "on" } },
];

const COUNTRIES = ["NL", "DE", "US", "FR"];
const PLANS = ["free", "pro", "team"];
// Every way a context names its subject (id, OpenFeature's targetingKey, none) and an array attribute.
const contexts = Array.from({ length: 500 }, (_, i) => {
  const attributes = { country: COUNTRIES[i % 4], plan: PLANS[i % 3], tags: i % 5 === 0 ? ["a", "vip"] : ["a"] };
  if (i % 50 === 49) return attributes;
  return i % 7 === 3 ? { targetingKey: `u${i}`, ...attributes } : { id: `u${i}`, ...attributes };
});
const CALLS_PER_PASS = contexts.length * 5;

function pass(client: DarkLaunchClient): number {
  let on = 0;
  for (const ctx of contexts) {
    if (client.isEnabled("rollout", ctx)) on++;
    if (client.variant("colour", ctx) === "blue") on++;
    if (client.value<string>("colour", ctx, "red") === "green") on++;
    if (client.isEnabled("gated", ctx)) on++;
    if (client.isEnabled("dark", ctx, true)) on++;
  }
  return on;
}

function measure(client: DarkLaunchClient): number {
  let on = 0;
  for (let i = 0; i < 100; i++) on += pass(client);
  const passes = 200;
  const bytes = bytesPerCall(passes * CALLS_PER_PASS, () => {
    for (let i = 0; i < passes; i++) on += pass(client);
  });
  expect(on).toBeGreaterThan(0);
  return bytes;
}

const fakes: FakeServer[] = [];
const clients: DarkLaunchClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const fake of fakes.splice(0)) await fake.close();
});

describe("the evaluation hot path allocates nothing on a warm snapshot", () => {
  it("offline, telemetry off: isEnabled, variant and value", async () => {
    const client = createClient({ offline: true, bootstrap: rulesetWith(FLAGS), telemetry: false });
    clients.push(client);
    await client.ready();
    expect(measure(client)).toBeLessThan(1);
  });

  it("with telemetry on (counted per flag, variant and reason), and the counts and samples are right", async () => {
    const server = await startFakeServer();
    fakes.push(server);
    server.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => server,
        () => ({ revision: 1, ruleset: rulesetWith(FLAGS) }),
      ),
    );
    const client = createClient({ url: server.url, token: "t", telemetry: { intervalMs: 3_600_000 } });
    clients.push(client);
    await client.ready();
    expect(measure(client)).toBeLessThan(1);
    await client.close();
    const counted = (server.telemetry as { counts: { count: number }[] }[]).flatMap((batch) => batch.counts);
    expect(counted.reduce((sum, row) => sum + row.count, 0)).toBe(300 * CALLS_PER_PASS);
    const samples = (server.telemetry as { samples: { reason: string; position: number | null; subject: string | null }[] }[]).flatMap(
      (batch) => batch.samples,
    );
    expect(samples.length).toBeGreaterThan(0);
    // A split's sample carries the subject's position, added after the shared result was counted.
    const excluded = samples.filter((s) => s.reason === "ROLLOUT_EXCLUDED");
    expect(excluded.length).toBeGreaterThan(0);
    for (const sample of excluded) expect(sample.position).toEqual(expect.any(Number));
  });
});
