import type { ObservationWindow } from "@darklaunch/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ClientOptions, createClient, type DarkLaunchClient, type SdkError } from "./index.js";
import { boolFlag, rulesetWith, sleep } from "./test-fake-server.js";

// Experiments run on an offline client with a bootstrap: evaluation is real, nothing is sent, and
// the recorder (`client.observations`) is read after `close()`, which waits for every run to be recorded.

const clients: DarkLaunchClient[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeEach(() => {
  unhandled.length = 0;
  process.on("unhandledRejection", onUnhandled);
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  process.off("unhandledRejection", onUnhandled);
});

function dark(percentage: number): Record<string, unknown> {
  return {
    ...boolFlag("pricing-v2", true),
    fallthrough: {
      split: [
        { variant: "on", weight: percentage },
        { variant: "off", weight: 100 - percentage },
      ],
    },
  };
}

function client(percentage = 100, options: ClientOptions = {}): DarkLaunchClient {
  const created = createClient({ offline: true, bootstrap: rulesetWith([dark(percentage)]), ...options });
  clients.push(created);
  return created;
}

/** Closes the client (every run recorded) and returns the one window it recorded. */
async function windowOf(c: DarkLaunchClient): Promise<ObservationWindow> {
  await c.close();
  const windows = c.observations.drain();
  expect(windows).toHaveLength(1);
  return windows[0]!;
}

const user = { id: "u42" };

describe("experiment(): what the caller gets", () => {
  it("returns the control's value, sync or async, whatever the candidate returns", async () => {
    const c = client();
    expect(await c.experiment("pricing-v2", user, { control: () => 10, candidate: () => 12 })).toBe(10);
    expect(
      await c.experiment("pricing-v2", user, { control: async () => ({ total: 10 }), candidate: async () => ({ total: 12 }) }),
    ).toEqual({
      total: 10,
    });
  });

  it("rethrows the control's own error object, thrown or rejected, included or not", async () => {
    const thrown = new TypeError("control broke");
    const rejected = new RangeError("control rejected");
    for (const percentage of [100, 0]) {
      const c = client(percentage);
      const candidate = (): number => 1;
      await expect(
        c.experiment("pricing-v2", user, {
          control: () => {
            throw thrown;
          },
          candidate,
        }),
      ).rejects.toBe(thrown);
      await expect(c.experiment("pricing-v2", user, { control: () => Promise.reject(rejected), candidate })).rejects.toBe(rejected);
    }
  });

  it("a slow candidate does not slow the caller", async () => {
    const c = client();
    let candidateDone = false;
    // The candidate waits for the test, not for a clock: the caller getting its answer while the
    // candidate is still held proves it never waits, however slow the machine.
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const value = await c.experiment("pricing-v2", user, {
      control: async () => "stable",
      candidate: async () => {
        await gate;
        candidateDone = true;
        return "stable";
      },
      timeoutMs: 60_000,
    });
    expect(value).toBe("stable");
    expect(candidateDone).toBe(false);
    await sleep(300);
    expect(candidateDone).toBe(false);
    release();
    const window = await windowOf(c);
    expect(candidateDone).toBe(true);
    expect(window.dark).toMatchObject({ requests: 1, errors: 0 });
    expect(window.dark.latency.max).toBeGreaterThanOrEqual(250);
  });

  it("a synchronous candidate runs after the caller has its answer", async () => {
    const c = client();
    const order: string[] = [];
    const value = await c.experiment("pricing-v2", user, {
      control: () => {
        order.push("control");
        return 1;
      },
      candidate: () => {
        order.push("candidate");
        return 1;
      },
    });
    order.push("caller");
    expect(value).toBe(1);
    await windowOf(c);
    expect(order).toEqual(["control", "caller", "candidate"]);
  });

  it("an asynchronous candidate starts in the same turn as an asynchronous control, before anything queued for the next turn", async () => {
    const c = client();
    const order: string[] = [];
    // Stands for the rest of a loaded event loop: whatever is queued runs before a deferred start.
    setImmediate(() => order.push("next turn"));
    const value = await c.experiment("pricing-v2", user, {
      control: async () => {
        order.push("control");
        await sleep(20);
        return 1;
      },
      candidate: async () => {
        order.push("candidate");
        await sleep(20);
        return 1;
      },
    });
    expect(value).toBe(1);
    const window = await windowOf(c);
    expect(order).toEqual(["control", "candidate", "next turn"]);
    // Both timed from their own start over the same 20 ms wait.
    expect(window.baseline.latency.max).toBeGreaterThanOrEqual(15);
    expect(window.dark.latency.max).toBeGreaterThanOrEqual(15);
  });
  it("once its control is known to be asynchronous, an experiment calls its two sides in random order", async () => {
    const c = client();
    const firsts: string[] = [];
    for (let i = 0; i < 41; i++) {
      let first: string | undefined;
      await c.experiment("pricing-v2", user, {
        control: async () => {
          first ??= "control";
          return 1;
        },
        candidate: async () => {
          first ??= "candidate";
          return 1;
        },
      });
      firsts.push(first ?? "");
    }
    await c.close();
    // The first run learns that the control is asynchronous; of the other 40, each side leads some (all alike: p = 2⁻³⁹).
    expect(firsts[0]).toBe("control");
    expect(new Set(firsts.slice(1))).toEqual(new Set(["control", "candidate"]));
  });
});

describe("experiment(): what is recorded", () => {
  it("candidate errors and timeouts are dark errors, never thrown, never unhandled", async () => {
    const c = client(100, { telemetry: false });
    const results = await Promise.all([
      c.experiment("pricing-v2", user, {
        control: () => 1,
        candidate: () => {
          throw new Error("sync boom");
        },
      }),
      c.experiment("pricing-v2", user, { control: () => 2, candidate: () => Promise.reject(new Error("async boom")) }),
      // Times out at 50 ms, then rejects anyway at 150 ms: that late rejection must go nowhere.
      c.experiment("pricing-v2", user, {
        control: () => 3,
        candidate: () => sleep(150).then(() => Promise.reject(new Error("too late"))),
        timeoutMs: 50,
      }),
    ]);
    expect(results).toEqual([1, 2, 3]);
    const window = await windowOf(c);
    expect(window.baseline).toMatchObject({ requests: 3, errors: 0 });
    expect(window.dark).toMatchObject({ requests: 3, errors: 3 });
    // Each run is one pair: a failing or timed-out candidate beside a working control is a dark-only error.
    expect(window.paired).toMatchObject({ bothErr: 0, darkOnlyErr: 3, baseOnlyErr: 0 });
    expect(window.comparison).toMatchObject({ total: 3, mismatched: 3, fields: { error: 3 } });
    expect(window.samples.flatMap((s) => s.differences.map((d) => d.dark))).toEqual(
      expect.arrayContaining(["sync boom", "async boom", "the candidate timed out after 50 ms"]),
    );
    await sleep(200);
    expect(unhandled).toEqual([]);
  });

  it("the candidate is aborted through its signal when it times out", async () => {
    const c = client();
    let aborted: unknown;
    await c.experiment("pricing-v2", user, {
      control: () => 1,
      candidate: (signal) =>
        new Promise<number>((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            aborted = signal.reason;
            reject(signal.reason);
          });
        }),
      timeoutMs: 30,
    });
    const window = await windowOf(c);
    expect(aborted).toBeInstanceOf(Error);
    expect(window.dark).toMatchObject({ requests: 1, errors: 1 });
    expect(c.observationStats().candidatesInFlight).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it("records each run once as a pair: errors per pair, latencies compared, sides not double counted", async () => {
    const c = client(100, { telemetry: false });
    const fail = () => {
      throw new Error("boom");
    };
    // Control fails on 0 and 1, candidate on 1 and 2; run 3 has a candidate far slower than its control.
    for (let i = 0; i < 4; i++) {
      await c
        .experiment("pricing-v2", user, {
          control: () => (i < 2 ? fail() : i),
          candidate: () => (i === 1 || i === 2 ? fail() : i === 3 ? sleep(60).then(() => i) : i),
        })
        .catch(() => undefined);
    }
    const window = await windowOf(c);
    expect(window.baseline).toMatchObject({ requests: 4, errors: 2 });
    expect(window.dark).toMatchObject({ requests: 4, errors: 2 });
    const paired = window.paired!;
    expect(paired).toMatchObject({ bothErr: 1, darkOnlyErr: 1, baseOnlyErr: 1 });
    expect(paired.slower + paired.faster + paired.tie).toBe(4);
    expect(paired.slower).toBeGreaterThanOrEqual(1);
  });

  it("once used, reports each quiet minute as a window with zero requests", async () => {
    const MINUTE = 60_000;
    const start = Math.floor(Date.now() / MINUTE) * MINUTE;
    let clock = start + 1_000;
    const c = client(100, { now: () => clock });
    await c.experiment("pricing-v2", user, { control: () => 1, candidate: () => 1, route: "price" });
    await c.close();
    expect(c.observations.drain().map((w) => [w.start, w.dark.requests])).toEqual([[new Date(start).toISOString(), 1]]);
    clock = start + 2 * MINUTE + 1_000;
    expect(c.observations.drain().map((w) => [w.flag, w.route, w.start, w.baseline.requests, w.dark.requests])).toEqual([
      ["pricing-v2", "price", new Date(start + MINUTE).toISOString(), 0, 0],
      ["pricing-v2", "price", new Date(start + 2 * MINUTE).toISOString(), 0, 0],
    ]);
  });

  it("excluded subjects never run the candidate, and nothing is recorded", async () => {
    const c = client(0);
    let calls = 0;
    for (let i = 0; i < 50; i++) {
      expect(await c.experiment("pricing-v2", { id: `u${i}` }, { control: () => i, candidate: () => ++calls })).toBe(i);
    }
    await c.close();
    expect(calls).toBe(0);
    expect(c.observations.drain()).toEqual([]);
  });

  it("an unknown flag or a client with nothing to serve runs the control only", async () => {
    let calls = 0;
    const candidate = (): number => ++calls;
    expect(await client().experiment("no-such-flag", user, { control: () => 7, candidate })).toBe(7);
    const empty = createClient({ offline: true });
    clients.push(empty);
    expect(await empty.experiment("pricing-v2", user, { control: () => 8, candidate })).toBe(8);
    await sleep(20);
    expect(calls).toBe(0);
  });

  it("the `flag` option decides inclusion and `route` names the window", async () => {
    const c = createClient({ offline: true, bootstrap: rulesetWith([dark(100), { ...dark(0), key: "nobody" }]) });
    clients.push(c);
    let calls = 0;
    await c.experiment("checkout", user, { flag: "nobody", control: () => 1, candidate: () => ++calls });
    await c.experiment("checkout", user, { flag: "pricing-v2", route: "POST /checkout", control: () => 1, candidate: () => ++calls });
    const window = await windowOf(c);
    expect(calls).toBe(1);
    expect(window).toMatchObject({ flag: "pricing-v2", route: "POST /checkout", source: "sdk" });
  });

  it("mismatching values are recorded with the differing path; ignored paths are not", async () => {
    const c = client();
    const control = () => ({ id: 7, price: 10, items: [{ sku: "a", qty: 1 }], at: "t1" });
    const candidate = () => ({ id: 7, price: 12, items: [{ sku: "a", qty: 2 }], at: "t2" });
    await c.experiment("pricing-v2", user, { control, candidate, ignore: ["body.at"] });
    await c.experiment("pricing-v2", user, { control, candidate: control, ignore: ["body.at"] });
    const window = await windowOf(c);
    expect(window.comparison).toEqual({
      total: 2,
      matched: 1,
      mismatched: 1,
      noiseTotal: 0,
      fields: { "body.price": 1, "body.items[].qty": 1 },
      noise: {},
    });
    expect(window.samples[0]?.differences).toEqual(
      expect.arrayContaining([{ path: "body.price", location: "body.price", kind: "changed", baseline: 10, dark: 12 }]),
    );
  });

  it("errors agree when both sides fail with the same message; one side failing differs at `error`", async () => {
    const c = client();
    const fail = (message: string) => () => {
      throw new Error(message);
    };
    await expect(c.experiment("pricing-v2", user, { control: fail("not found"), candidate: fail("not found") })).rejects.toThrow(
      "not found",
    );
    await expect(c.experiment("pricing-v2", user, { control: fail("not found"), candidate: () => 1 })).rejects.toThrow("not found");
    const window = await windowOf(c);
    expect(window.baseline).toMatchObject({ requests: 2, errors: 2 });
    expect(window.dark).toMatchObject({ requests: 2, errors: 1 });
    expect(window.comparison).toMatchObject({ total: 2, matched: 1, mismatched: 1, fields: { error: 1 } });
    expect(window.samples[0]?.differences).toEqual([{ path: "error", location: "error", kind: "changed", baseline: "not found" }]);
  });

  it("a custom compare decides equality", async () => {
    const c = client();
    const compare = (a: number, b: number): boolean => Math.abs(a - b) < 1;
    await c.experiment("pricing-v2", user, { control: () => 10, candidate: () => 10.5, compare });
    await c.experiment("pricing-v2", user, { control: () => 10, candidate: () => 20, compare });
    const window = await windowOf(c);
    expect(window.comparison).toMatchObject({ total: 2, matched: 1, mismatched: 1, fields: { body: 1 } });
  });

  it("a throwing compare is an error event, not a caller's problem", async () => {
    const c = client();
    const errors: SdkError[] = [];
    c.on("error", (error) => errors.push(error));
    const value = await c.experiment("pricing-v2", user, {
      control: () => 1,
      candidate: () => 1,
      compare: () => {
        throw new Error("compare bug");
      },
    });
    expect(value).toBe(1);
    const window = await windowOf(c);
    expect(window.comparison.total).toBe(0);
    expect(window.dark.requests).toBe(1);
    expect(errors.map((e) => e.code)).toEqual(["EXPERIMENT_FAILED"]);
    expect(c.observationStats().compareFailures).toBe(1);
  });

  it("at most maxInFlight candidates run; over that the candidate is skipped and counted, as a lost mirror", async () => {
    const c = client(100, { experiments: { maxInFlight: 2 } });
    let started = 0;
    const hang = (signal: AbortSignal) =>
      new Promise<number>((_resolve, reject) => {
        started++;
        signal.addEventListener("abort", () => setTimeout(() => reject(signal.reason), 100));
      });
    const values = await Promise.all(
      [1, 2, 3, 4].map((n) => c.experiment("pricing-v2", user, { control: () => n, candidate: hang, timeoutMs: 100 })),
    );
    expect(values).toEqual([1, 2, 3, 4]);
    await sleep(20);
    expect(started).toBe(2);
    expect(c.observationStats()).toMatchObject({ candidatesInFlight: 2, candidatesSkipped: 2 });
    const window = await windowOf(c);
    // Skipped runs are recorded on neither side, so both sides describe the same runs.
    expect(window.baseline.requests).toBe(2);
    expect(window.dark).toMatchObject({ requests: 2, errors: 2 });
    // The judge's mirror loss: 2 of the 4 runs meant to reach the candidate ended without a pair.
    expect(window.paired).toMatchObject({ slower: 2, lost: 2 });
  });
});

describe("experiment(): values JSON cannot hold and candidates that misbehave", () => {
  it("values with BigInt, cycles or functions never throw into the caller", async () => {
    const c = client(100, { telemetry: false });
    const errors: SdkError[] = [];
    c.on("error", (error) => errors.push(error));
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const values: unknown[] = [10n, { n: 1n }, cyclic, () => 1, { f: () => 1 }, Symbol("s")];
    for (const value of values) {
      expect(await c.experiment("pricing-v2", user, { control: () => value, candidate: () => value })).toBe(value);
      expect(await c.experiment("pricing-v2", user, { control: () => 1, candidate: () => value })).toBe(1);
    }
    await c.close();
    expect(c.observationStats().candidatesInFlight).toBe(0);
    expect(errors.every((e) => e.code === "EXPERIMENT_FAILED")).toBe(true);
    expect(unhandled).toEqual([]);
  });

  it("a candidate that never settles times out without holding up the caller, and only it stays in flight", async () => {
    const c = client(100, { telemetry: false, experiments: { maxInFlight: 2 } });
    const started = performance.now();
    const value = await c.experiment("pricing-v2", user, {
      control: () => "ok",
      candidate: () => new Promise<string>(() => {}),
      timeoutMs: 20,
    });
    expect(value).toBe("ok");
    // The candidate never settles: a caller that waited for it would never get here. The bound is only a backstop.
    expect(performance.now() - started).toBeLessThan(10_000);
    const window = await windowOf(c);
    expect(window.dark).toMatchObject({ requests: 1, errors: 1 });
    // The bound is what keeps never-settling candidates from piling up.
    expect(c.observationStats().candidatesInFlight).toBe(1);
  });

  it("a candidate mutating an object it shares with the control is seen by the caller (documented: share nothing)", async () => {
    const c = client(100, { telemetry: false });
    const shared = { price: 10 };
    const value = await c.experiment("pricing-v2", user, {
      control: async () => {
        await sleep(20);
        return shared;
      },
      candidate: () => {
        shared.price = 99;
        return shared;
      },
    });
    // The SDK cannot copy what the paths share; ExperimentOptions.candidate says so.
    expect(value).toBe(shared);
    expect(value.price).toBe(99);
  });
});

describe("experiment(): bad arguments", () => {
  it("are refused before anything runs, naming the argument", async () => {
    const c = client();
    let ran = 0;
    const control = () => ++ran;
    const cases: [unknown[], RegExp][] = [
      [["", user, { control, candidate: control }], /the name must be a non-empty string/],
      [["pricing-v2", user, undefined], /the third argument must be an options object/],
      [["pricing-v2", user, { control: 1, candidate: control }], /options\.control must be a function/],
      [["pricing-v2", user, { control }], /options\.candidate must be a function/],
      [
        ["pricing-v2", user, { control, candidate: control, timeoutMs: -5 }],
        /options\.timeoutMs must be a positive number of milliseconds, got -5/,
      ],
      [["pricing-v2", user, { control, candidate: control, flag: 3 }], /options\.flag must be a non-empty string/],
      [["pricing-v2", user, { control, candidate: control, ignore: "body.x" }], /options\.ignore must be an array/],
      [["pricing-v2", user, { control, candidate: control, ignore: ["body..x"] }], /ignore\[0\]/],
    ];
    for (const [args, message] of cases) {
      await expect((c.experiment as (...a: unknown[]) => Promise<unknown>)(...args)).rejects.toThrow(message);
    }
    expect(ran).toBe(0);
    await expect(
      (c.experiment as (...a: unknown[]) => Promise<unknown>)("pricing-v2", user, { control, candidate: 1 }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});
