import type { ChildProcess } from "node:child_process";
import { killProcess as kill, type ServerProcess, startServerProcess } from "@darklaunch/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_SECRET, STORE_FACTORIES, type TestStore, testFlag } from "../test-support.js";
import { openSse, type SseReader } from "./test-sse.js";

/** A real replica; heartbeats (which also re-read the revision) an hour apart, so only NOTIFY can carry a change. */
function startReplica(store: TestStore): Promise<ServerProcess> {
  return startServerProcess({ ...store.options, adminToken: ADMIN_SECRET, heartbeatMs: 3_600_000 });
}

const headers = { authorization: `Bearer ${ADMIN_SECRET}`, "content-type": "application/json" };
const postgres = STORE_FACTORIES.filter((factory) => factory.name === "postgres");

describe.each(postgres)("SDK stream fan-out across replicas on $name", (factory) => {
  let store: TestStore | undefined;
  const children: ChildProcess[] = [];
  let reader: SseReader | undefined;
  beforeAll(async () => {
    store = await factory.create();
  });
  afterAll(async () => {
    reader?.close();
    for (const child of children) await kill(child);
    await store?.drop();
  });

  it("a write through replica A reaches a stream client of replica B", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    // One after the other: each runs the migrations at start.
    const a = await startReplica(store);
    children.push(a.child);
    const b = await startReplica(store);
    children.push(b.child);

    const token = await fetch(`${a.url}/api/v1/tokens`, { method: "POST", headers, body: JSON.stringify({ name: "sdk", scope: "sdk" }) });
    expect(token.status).toBe(201);
    const { secret } = (await token.json()) as { secret: string };

    reader = await openSse(`${b.url}/api/v1/sdk/stream`, secret);
    expect(reader.status).toBe(200);
    const put = await reader.next();
    expect(put.event).toBe("put");

    const created = await fetch(`${a.url}/api/v1/flags`, { method: "POST", headers, body: JSON.stringify(testFlag("fan-out")) });
    expect(created.status).toBe(201);
    const patch = await reader.next((event) => event.event === "patch");
    expect(patch.data.revision).toBe(put.data.revision + 1);
    expect(patch.data.flags).toEqual([expect.objectContaining({ key: "fan-out", version: 1 })]);

    const patched = await fetch(`${a.url}/api/v1/flags/fan-out`, { method: "PATCH", headers, body: JSON.stringify({ percentage: 42 }) });
    expect(patched.status).toBe(200);
    const second = await reader.next((event) => event.event === "patch");
    expect(second.data.flags).toEqual([expect.objectContaining({ key: "fan-out", version: 2 })]);

    const archived = await fetch(`${a.url}/api/v1/flags/fan-out/archive`, { method: "POST", headers, body: "{}" });
    expect(archived.status).toBe(200);
    expect((await reader.next((event) => event.event === "delete")).data).toEqual({
      revision: second.data.revision + 1,
      flags: ["fan-out"],
    });
  });
});
