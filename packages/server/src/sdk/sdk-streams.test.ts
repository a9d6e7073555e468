import type { ServerResponse } from "node:http";
import type { Ruleset } from "@darklaunch/core";
import { describe, expect, it } from "vitest";
import type { CompiledRuleset, RulesetCache } from "../ruleset/ruleset-cache.js";
import type { Database } from "../store/database.js";
import { diffRulesets } from "./ruleset-diff.js";
import { SdkStreams } from "./sdk-streams.js";

const flag = (key: string, version: number) => ({ key, version }) as unknown as Ruleset["flags"][number];
const segment = (key: string, version: number, ids: string[]) =>
  ({ key, version, ids, description: "", conditions: [] }) as Ruleset["segments"][number];

describe("diffRulesets", () => {
  it("sends changed and added items whole, removed keys apart, and overrides per flag by content", () => {
    const before: Ruleset = {
      flags: [flag("a", 1), flag("b", 1), flag("gone", 3)],
      segments: [segment("s", 1, ["u1"]), segment("old", 1, [])],
      overrides: [
        { flag: "a", subject: "u1", source: "opt-in" },
        { flag: "b", subject: "u1", source: "opt-in" },
      ],
    };
    const after: Ruleset = {
      flags: [flag("a", 1), flag("b", 2), flag("new", 1)],
      segments: [segment("s", 2, ["u2"])],
      overrides: [
        { flag: "a", subject: "u1", source: "opt-out" },
        { flag: "b", subject: "u1", source: "opt-in" },
      ],
    };
    expect(diffRulesets(before, after, 7)).toEqual({
      patch: {
        revision: 7,
        flags: [flag("b", 2), flag("new", 1)],
        segments: [segment("s", 2, ["u2"])],
        overrides: [{ flag: "a", overrides: [{ flag: "a", subject: "u1", source: "opt-out" }] }],
      },
      remove: { revision: 7, flags: ["gone"], segments: ["old"] },
    });
    expect(diffRulesets(after, after, 8)).toEqual({ patch: { revision: 8 }, remove: undefined });
    // The last override of a flag removed: the flag's list is replaced by an empty one.
    expect(diffRulesets(after, { ...after, overrides: after.overrides.slice(1) }, 9).patch.overrides).toEqual([
      { flag: "a", overrides: [] },
    ]);
  });
});

/** A response that never drains, as a client that stopped reading looks to the server. */
function stuckResponse() {
  const raw = {
    writableLength: 0,
    destroyed: false,
    socket: null,
    chunks: [] as string[],
    writeHead: () => raw,
    on: () => raw,
    once: () => raw,
    write(chunk: string) {
      raw.chunks.push(chunk);
      raw.writableLength += chunk.length;
      return false;
    },
    end: () => raw,
    destroy() {
      raw.destroyed = true;
      return raw;
    },
  };
  return raw;
}

describe("SdkStreams", () => {
  it("drops a client whose unread buffer is over the limit instead of buffering without bound", async () => {
    const compiled = { revision: 1, ruleset: { flags: [], segments: [], overrides: [] } } as unknown as CompiledRuleset;
    const rulesets = { get: async () => compiled } as unknown as RulesetCache;
    const streams = new SdkStreams(rulesets, { heartbeatMs: 5, maxBufferedBytes: 200 });
    await streams.start({ dialect: "sqlite" } as Database);
    const raw = stuckResponse();
    await streams.open(() => raw as unknown as ServerResponse);
    expect(raw.chunks[0]).toMatch(/^event: put\nid: 1\ndata: /);
    expect(streams.size).toBe(1);
    for (let i = 0; i < 400 && !raw.destroyed; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(raw.destroyed).toBe(true);
    expect(streams.size).toBe(0);
    // Dropped when over the limit: never much more than the limit plus one event was buffered.
    expect(raw.writableLength).toBeLessThan(200 + 100);
    await streams.close();
  });
});
