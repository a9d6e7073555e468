import type { ChildProcess } from "node:child_process";
import { killProcess as kill, startServerProcess } from "@darklaunch/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_SECRET, STORE_FACTORIES, type TestStore, testFlag } from "./test-support.js";

const headers = { authorization: `Bearer ${ADMIN_SECRET}`, "content-type": "application/json" };

describe.each(STORE_FACTORIES)("durability on $name", (factory) => {
  let store: TestStore | undefined;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    store = await factory.create();
  });
  afterAll(async () => {
    for (const child of children) await kill(child);
    await store?.drop();
  });

  it("a write acknowledged right before SIGKILL is there after a restart", async (ctx) => {
    if (!store) return ctx.skip("no Postgres");
    const first = await startServerProcess({ ...store.options, adminToken: ADMIN_SECRET });
    children.push(first.child);
    let version = 0;
    for (let i = 1; i <= 5; i++) {
      const response =
        i === 1
          ? await fetch(`${first.url}/api/v1/flags`, { method: "POST", headers, body: JSON.stringify(testFlag("durable")) })
          : await fetch(`${first.url}/api/v1/flags/durable`, {
              method: "PATCH",
              headers,
              body: JSON.stringify({ percentage: i * 10, version }),
            });
      expect(response.status).toBeLessThan(300);
      version = ((await response.json()) as { version: number }).version;
    }
    // Killed the moment the last write was acknowledged: no shutdown, no flush, no checkpoint.
    await kill(first.child);

    const second = await startServerProcess({ ...store.options, adminToken: ADMIN_SECRET });
    children.push(second.child);
    const flag = (await (await fetch(`${second.url}/api/v1/flags/durable`, { headers })).json()) as { version: number; percentage: number };
    expect(flag).toMatchObject({ version: 5, percentage: 50 });
    await kill(second.child);
  });
});
