import { describe, expect, it } from "vitest";
import { decodeSdkEvent } from "./sdk-stream.js";
import { TelemetryBatchSchema } from "./telemetry-batch.js";

describe("decodeSdkEvent", () => {
  it("accepts each event's envelope and leaves the items inside to be checked one by one", () => {
    expect(decodeSdkEvent("patch", { revision: 3, flags: [{ key: "a" }], overrides: [{ flag: "a", overrides: [] }] })).toEqual({
      ok: true,
      value: { event: "patch", data: { revision: 3, flags: [{ key: "a" }], overrides: [{ flag: "a", overrides: [] }] } },
      problems: [],
    });
    expect(decodeSdkEvent("delete", { revision: 4, flags: ["a"] })).toMatchObject({ ok: true });
    expect(decodeSdkEvent("put", { revision: 0, ruleset: { flags: [] } })).toMatchObject({ ok: true });
    expect(decodeSdkEvent("heartbeat", { revision: 9 })).toMatchObject({ ok: true });
  });

  it("refuses a revision that is not a non-negative integer, and lists that are not lists", () => {
    for (const revision of ["3", null, -1, 1.5, undefined, Number.POSITIVE_INFINITY]) {
      expect(decodeSdkEvent("delete", { revision, flags: ["a"] })).toMatchObject({ ok: false, problems: [{ path: "revision" }] });
    }
    expect(decodeSdkEvent("delete", { revision: 2, flags: "a" })).toMatchObject({ ok: false, problems: [{ path: "flags" }] });
    expect(decodeSdkEvent("patch", { revision: 2, overrides: [{ flag: 1 }] })).toMatchObject({ ok: false });
    expect(decodeSdkEvent("put", { revision: 2, ruleset: [] })).toMatchObject({ ok: false, problems: [{ path: "ruleset" }] });
    expect(decodeSdkEvent("put", "nope")).toMatchObject({ ok: false });
  });

  it("knows nothing of events a newer server may add", () => {
    expect(decodeSdkEvent("rename", { revision: 2 })).toBeUndefined();
    expect(decodeSdkEvent("__proto__", {})).toBeUndefined();
  });
});

describe("TelemetryBatchSchema", () => {
  it("normalizes dates and refuses an interval that ends before it starts", () => {
    const batch = {
      instance: "api-1",
      sdk: { name: "@darklaunch/sdk", version: "0.1.0" },
      intervalStart: "2026-05-01T10:00:00+02:00",
      intervalEnd: "2026-05-01T08:01:00Z",
      counts: [{ flag: "a", variant: "on", reason: "FALLTHROUGH", included: true, count: 4 }],
      samples: [],
      dropped: 0,
    };
    expect(TelemetryBatchSchema.parse(batch).intervalStart).toBe("2026-05-01T08:00:00.000Z");
    expect(TelemetryBatchSchema.safeParse({ ...batch, intervalEnd: "2026-05-01T07:59:00Z" }).success).toBe(false);
    expect(TelemetryBatchSchema.safeParse({ ...batch, extra: 1 }).success).toBe(false);
  });
});
