import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSse } from "../sdk/test-sse.js";
import { STORE_FACTORIES, startTestServer, type TestServer, type TestStore } from "../test-support.js";

/** Ids with characters outside the BMP, so a piece boundary inside a surrogate pair would show. */
const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(6, "0")}-😀-padding-padding-padding`);

describe("SDK stream memory bound", () => {
  let t: TestServer;
  let store: TestStore;
  let url: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    store = (await STORE_FACTORIES[0]!.create())!;
    t = await startTestServer(store, { logger: false });
    for (const key of ["big-1", "big-2"]) {
      const created = await t.request("POST", "/api/v1/segments", { key, ids: ids(key, 100_000) });
      expect(created.status).toBe(201);
    }
    url = await t.server.listen(0, "127.0.0.1");
  }, 60_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await t.close();
    await store.drop();
  });

  it("holds at most a piece of the first put per client that does not read, and a reader gets it whole", async () => {
    const snapshot = await t.request("GET", "/api/v1/sdk/snapshot", undefined, { scope: "sdk" });
    const snapshotBytes = Buffer.byteLength(JSON.stringify(snapshot.body));
    expect(snapshotBytes).toBeGreaterThan(8 * 1024 * 1024);
    const { port } = new URL(url);
    for (let i = 0; i < 20; i++) {
      const socket = connect(Number(port), "127.0.0.1");
      socket.pause();
      sockets.push(socket);
      socket.write(`GET /api/v1/sdk/stream HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${t.secrets.sdk}\r\n\r\n`);
    }
    const streams = t.server.context.sdkStreams;
    // A reader opened after them: its put is queued behind theirs, so when it arrives all 20 have theirs.
    const reader = await openSse(`${url}/api/v1/sdk/stream`, t.secrets.sdk);
    const put = await reader.next((e) => e.event === "put", 30_000);
    expect(streams.size).toBe(21);
    expect(put.data.ruleset.segments.map((s: { ids: string[] }) => s.ids.length)).toEqual([100_000, 100_000]);
    expect(put.data.ruleset.segments[0].ids[77_777]).toBe(ids("big-1", 100_000)[77_777]);
    expect(JSON.stringify(put.data)).not.toContain("\uFFFD");
    reader.close();
    // Each stuck client holds one 64 KiB piece (UTF-8, ≤ 3 bytes a character), not the 8 MiB snapshot.
    expect(streams.unreadBytes).toBeLessThan(20 * 256 * 1024);
  }, 60_000);
});
