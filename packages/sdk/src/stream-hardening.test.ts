import { afterEach, describe, expect, it } from "vitest";
import { type ClientOptions, createClient, type DarkLaunchClient, type SdkError } from "./index.js";
import { boolFlag, type FakeServer, rulesetWith, sse, startFakeServer, streamOf, waitFor } from "./test-fake-server.js";

// What a hostile or broken server can send the client: messages off the protocol, stale updates,
// flags the core cannot compile, events of many megabytes. The server is the node:http fake.

const fakes: FakeServer[] = [];
const clients: DarkLaunchClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const fake of fakes.splice(0)) await fake.close();
});

async function streaming(snapshot: { revision: unknown; ruleset: unknown }, options: ClientOptions = {}) {
  const server = await startFakeServer();
  fakes.push(server);
  server.handle(
    "/api/v1/sdk/stream",
    streamOf(
      () => server,
      () => snapshot,
    ),
  );
  const client = createClient({ url: server.url, token: "dl_sdk_test", telemetry: false, observations: false, ...options });
  clients.push(client);
  const send = (text: string) => {
    for (const s of server.streams) s.write(text);
  };
  return { server, client, send };
}

/** Sends a patch that flips `marker`, and waits for it: every message sent before it has been handled. */
async function barrier(client: DarkLaunchClient, send: (text: string) => void, revision: number): Promise<void> {
  const seen = waitFor<{ keys: string[] }>(
    (l) => client.on("change", l),
    (e) => e.keys.includes("marker"),
  );
  send(sse("patch", { revision, flags: [boolFlag("marker", revision % 2 === 0, revision)] }));
  await seen;
}

function deepValue(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("stream messages are checked against the protocol", () => {
  it("ignores and reports a patch or delete whose revision is not a number; a live flag stays", async () => {
    const { client, send } = await streaming({ revision: 5, ruleset: rulesetWith([boolFlag("a", true), boolFlag("marker", false)]) });
    await client.ready();
    const errors: SdkError[] = [];
    client.on("error", (e) => errors.push(e));

    send(sse("delete", { revision: "9", flags: ["a"] }));
    send(sse("delete", { flags: ["a"] }));
    send(sse("patch", { revision: null, flags: [boolFlag("a", false, 9)] }));
    send(sse("delete", { revision: 9, flags: "a" }));
    await barrier(client, send, 6);

    expect(client.isEnabled("a", { id: "u1" })).toBe(true);
    expect(client.revision).toBe(6);
    expect(client.updateStats()).toMatchObject({ rejectedMessages: 4, staleMessages: 0 });
    expect(errors.map((e) => e.code)).toEqual(["MALFORMED_UPDATE", "MALFORMED_UPDATE", "MALFORMED_UPDATE", "MALFORMED_UPDATE"]);
    expect(errors[0]?.message).toMatch(/revision/);
  });

  it("ignores updates not newer than the snapshot: a stale delete never removes a live flag", async () => {
    const { client, send } = await streaming({ revision: 5, ruleset: rulesetWith([boolFlag("a", true), boolFlag("marker", false)]) });
    await client.ready();
    send(sse("delete", { revision: 3, flags: ["a"] }));
    send(sse("delete", { revision: 5, flags: ["a"] }));
    send(sse("patch", { revision: 4, flags: [boolFlag("a", false, 4)] }));
    await barrier(client, send, 6);
    send(sse("delete", { revision: 4, flags: ["a"] }));
    await barrier(client, send, 7);

    expect(client.isEnabled("a", { id: "u1" })).toBe(true);
    expect(client.updateStats()).toMatchObject({ rejectedMessages: 0, staleMessages: 4 });
  });

  it("applies a revision's delete after its patch (the server sends both with one revision)", async () => {
    const { client, send } = await streaming({ revision: 5, ruleset: rulesetWith([boolFlag("a", true), boolFlag("b", true)]) });
    await client.ready();
    const removed = waitFor<{ keys: string[] }>(
      (l) => client.on("change", l),
      (e) => e.keys.includes("b"),
    );
    send(sse("patch", { revision: 8, flags: [boolFlag("a", false, 8)] }));
    send(sse("delete", { revision: 8, flags: ["b"] }));
    await removed;
    expect(client.isEnabled("a", { id: "u1" })).toBe(false);
    expect(client.evaluate("b", { id: "u1" }).errorCode).toBe("FLAG_NOT_FOUND");
    expect(client.updateStats().staleMessages).toBe(0);
  });
});

describe("a flag the SDK cannot compile", () => {
  it("is skipped and reported, serving the caller's default, instead of refusing the whole snapshot", async () => {
    const deep = { ...boolFlag("deep", true), variants: { on: deepValue(1_300), off: {} }, fallthrough: { variant: "on" } };
    const dependent = { ...boolFlag("dependent", true), prerequisites: [{ flag: "deep", variant: "on" }] };
    const { client } = await streaming(
      { revision: 1, ruleset: rulesetWith([boolFlag("good", true), deep, dependent]) },
      { readyTimeoutMs: 2_000 },
    );
    const skipped: SdkError[] = [];
    client.on("error", (e) => {
      if (e.code === "FLAG_SKIPPED") skipped.push(e);
    });
    expect(await client.ready()).toMatchObject({ source: "server", revision: 1, stale: false });
    expect(client.isEnabled("good", { id: "u1" })).toBe(true);
    expect(client.evaluate("deep", { id: "u1" }, { fallback: true })).toMatchObject({
      value: { fallback: true },
      reason: "ERROR",
      errorCode: "GENERAL",
    });
    expect(client.evaluate("deep", { id: "u1" }).errorMessage).toMatch(/could not be compiled/);
    expect(client.isEnabled("dependent", { id: "u1" }, true)).toBe(true);
    expect(client.updateStats().skippedFlags).toEqual(["deep", "dependent"]);
    expect(skipped.map((e) => (e.details as { flag: string }).flag).sort()).toEqual(["deep", "dependent"]);
    expect(client.ruleset?.flags.map((f) => f.key)).toEqual(["good"]);
  });

  it("comes back when a patch replaces it with one that compiles, with the flags and overrides that depend on it", async () => {
    const bad = { ...boolFlag("x", true), offVariant: "missing" };
    const dependent = { ...boolFlag("y", true), prerequisites: [{ flag: "x", variant: "on" }] };
    const pinned = { flag: "x", subject: "u9", variant: "off", source: "pinned" };
    const { client, send } = await streaming({
      revision: 1,
      ruleset: { flags: [bad, dependent, boolFlag("z", true)], segments: [], overrides: [pinned] },
    });
    await client.ready();
    expect(client.updateStats().skippedFlags).toEqual(["x", "y"]);
    const unrelated = waitFor<{ keys: string[] }>((l) => client.on("change", l));
    send(sse("patch", { revision: 2, flags: [boolFlag("z", false, 2)] }));
    expect((await unrelated).keys).toEqual(["z"]);
    expect(client.updateStats().skippedFlags).toEqual(["x", "y"]);

    const changed = waitFor<{ keys: string[] }>((l) => client.on("change", l));
    send(sse("patch", { revision: 3, flags: [boolFlag("x", true, 3)] }));
    expect((await changed).keys).toEqual(["x", "y"]);
    expect(client.updateStats().skippedFlags).toEqual([]);
    expect(client.isEnabled("x", { id: "u1" })).toBe(true);
    expect(client.isEnabled("y", { id: "u1" })).toBe(true);
    expect(client.evaluate("x", { id: "u9" })).toMatchObject({ value: false, reason: "OVERRIDE" });
  });
});

describe("a snapshot of many megabytes", () => {
  it("arrives whole through the stream", async () => {
    const ids = Array.from({ length: 250_000 }, (_, i) => `user-${i.toString().padStart(8, "0")}`);
    const flag = {
      ...boolFlag("vip", true),
      fallthrough: { variant: "off" },
      rules: [{ id: "r1", conditions: [{ op: "inSegment", values: ["vips"] }], serve: { variant: "on" } }],
    };
    const ruleset = { flags: [flag], segments: [{ key: "vips", ids }], overrides: [] };
    expect(JSON.stringify(ruleset).length).toBeGreaterThan(4_000_000);
    const { client } = await streaming({ revision: 1, ruleset }, { readyTimeoutMs: 20_000 });
    await client.ready();
    expect(client.updateStats()).toEqual({ rejectedMessages: 0, staleMessages: 0, skippedFlags: [] });
    expect(client.isEnabled("vip", { id: "user-00249999" })).toBe(true);
    expect(client.isEnabled("vip", { id: "someone-else" })).toBe(false);
  });
});
