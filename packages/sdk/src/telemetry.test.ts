import { compile, type TelemetryBatch } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import { Telemetry } from "./telemetry.js";

const META = { instance: "i-1", sdk: { name: "@darklaunch/sdk", version: "0.0.0" } };

function rulesetWith(version: number, fallthrough: unknown, enabled = true) {
  return {
    flags: [{ key: "f", version, enabled, variants: { on: true, off: false }, offVariant: "off", fallthrough }],
  };
}
const half = {
  split: [
    { variant: "on", weight: 50 },
    { variant: "off", weight: 50 },
  ],
};

function telemetry(options: ConstructorParameters<typeof Telemetry>[0] = {}) {
  const sent: TelemetryBatch[] = [];
  const counter = new Telemetry(
    { sampleExcluded: 0, ...options },
    META,
    async (batch) => {
      sent.push(batch);
    },
    (error) => {
      throw error;
    },
  );
  return { counter, sent };
}

const rows = (batch: TelemetryBatch) => Object.fromEntries(batch.counts.map((row) => [`${row.variant}/${row.reason}`, row.count]));

describe("Telemetry counts", () => {
  it("per (flag, variant, reason), merged across a snapshot change within the interval", async () => {
    const { counter, sent } = telemetry();
    const first = compile(rulesetWith(1, half));
    const second = compile(rulesetWith(2, half));
    let on = 0;
    for (let i = 0; i < 300; i++) {
      const snapshot = i < 100 ? first : second;
      const result = snapshot.decide("f", { id: `u${i}` });
      if (result.included) on++;
      counter.count(snapshot, result);
    }
    await counter.flush();
    expect(sent).toHaveLength(1);
    expect(rows(sent[0]!)).toEqual({ "on/ROLLOUT_INCLUDED": on, "off/ROLLOUT_EXCLUDED": 300 - on });
    expect(sent[0]!.dropped).toBe(0);
  });

  it("an interval's counts go with that interval only", async () => {
    const { counter, sent } = telemetry();
    const snapshot = compile(rulesetWith(1, { variant: "on" }));
    for (let i = 0; i < 5; i++) counter.count(snapshot, snapshot.decide("f", {}));
    await counter.flush();
    for (let i = 0; i < 2; i++) counter.count(snapshot, snapshot.decide("f", {}));
    await counter.flush();
    expect(sent.map(rows)).toEqual([{ "on/FALLTHROUGH": 5 }, { "on/FALLTHROUGH": 2 }]);
  });

  it("evaluations with no room for their row are counted as dropped, one by one", async () => {
    const { counter, sent } = telemetry({ maxBuffer: 1 });
    const snapshot = compile(rulesetWith(1, { variant: "on" }));
    const off = compile(rulesetWith(2, { variant: "on" }, false));
    for (let i = 0; i < 4; i++) counter.count(snapshot, snapshot.decide("f", {}));
    for (let i = 0; i < 3; i++) counter.count(off, off.decide("f", {}));
    await counter.flush();
    // The first row took the only place; the three DISABLED evaluations found none.
    expect(sent.map(rows)).toEqual([{ "on/FALLTHROUGH": 4 }]);
    expect(sent[0]!.dropped).toBe(3);
  });

  it("asks for a sample of excluded evaluations only, up to sampleExcluded per interval", () => {
    const { counter } = telemetry({ sampleExcluded: 2 });
    const snapshot = compile(rulesetWith(1, { variant: "off" }));
    const result = snapshot.decide("f", { id: "u1" });
    expect(counter.count(snapshot, result)).toBe(true);
    counter.sample(result, "u1");
    counter.sample(result, "u2");
    expect(counter.count(snapshot, result)).toBe(false);
    const included = compile(rulesetWith(1, { variant: "on" }));
    expect(counter.count(included, included.decide("f", {}))).toBe(false);
  });
});
