import { describe, expect, it } from "vitest";
import { type BreakerState, CircuitBreaker } from "./circuit-breaker.js";
import { DEFAULT_BREAKER } from "./proxy-config.js";
import { TokenBucket } from "./token-bucket.js";

function breaker(config = DEFAULT_BREAKER) {
  let now = 0;
  const changes: BreakerState[] = [];
  const b = new CircuitBreaker(
    config,
    () => now,
    (s) => changes.push(s),
  );
  return { b, changes, advance: (ms: number) => (now += ms) };
}

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures; a success resets the count", () => {
    const { b } = breaker();
    for (let i = 0; i < 4; i++) b.failure();
    b.success();
    for (let i = 0; i < 4; i++) b.failure();
    expect(b.state).toBe("closed");
    b.failure();
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBeUndefined();
  });

  it("opens on the error rate over a full window, not before", () => {
    const { b } = breaker({ ...DEFAULT_BREAKER, failures: 100 });
    for (let i = 0; i < 9; i++) {
      b.failure();
      b.success();
    }
    b.failure(); // 10 of 19: no full window yet
    expect(b.state).toBe("closed");
    b.success(); // 10 of 20 = 0.5
    expect(b.state).toBe("closed");
    b.failure(); // the window slides: 10 of the last 20 failed, this one included
    expect(b.state).toBe("open");
  });

  it("half-opens after openMs with a single probe: failure reopens, success closes", () => {
    const { b, changes, advance } = breaker({ ...DEFAULT_BREAKER, failures: 1, openMs: 1000 });
    b.failure();
    advance(999);
    expect(b.state).toBe("open");
    advance(1);
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe("probe");
    expect(b.tryAcquire()).toBeUndefined(); // one probe at a time
    b.failure("probe");
    expect(b.state).toBe("open");
    advance(1000);
    expect(b.tryAcquire()).toBe("probe");
    b.success("probe");
    expect(b.state).toBe("closed");
    expect(b.probeCount).toBe(2);
    expect(changes).toEqual(["open", "half-open", "open", "half-open", "closed"]);
  });

  it("lets only the probe decide: calls from before the opening that end during it count for nothing", () => {
    const { b, advance } = breaker({ ...DEFAULT_BREAKER, failures: 1, openMs: 1000 });
    const early = b.tryAcquire(); // a slow call, made while closed
    expect(early).toBe("call");
    b.failure();
    advance(1000);
    const probe = b.tryAcquire();
    expect(probe).toBe("probe");
    b.success(early); // the slow call ends well during the probe: not a verdict on now
    expect(b.state).toBe("half-open");
    b.failure(early);
    expect(b.tryAcquire()).toBeUndefined(); // the probe is still out
    b.success(probe);
    expect(b.state).toBe("closed");
  });

  it("an abandoned probe lets the next call probe; an abandoned call changes nothing", () => {
    const { b, advance } = breaker({ ...DEFAULT_BREAKER, failures: 1, openMs: 1000 });
    const call = b.tryAcquire();
    b.failure();
    advance(1000);
    const probe = b.tryAcquire();
    b.abandon(call ?? "call");
    expect(b.tryAcquire()).toBeUndefined();
    b.abandon(probe ?? "probe");
    expect(b.tryAcquire()).toBe("probe");
    expect(b.probeCount).toBe(2);
  });
});

describe("TokenBucket", () => {
  it("allows the rate, drops the excess, refills with time", () => {
    let now = 0;
    const bucket = new TokenBucket(2, undefined, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    now += 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
  });
});
