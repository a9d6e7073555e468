import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";
import { openSse, type SseReader } from "./test-sse.js";

describe.each(STORE_FACTORIES)("SDK endpoints on $name", (factory) => {
  let t: TestServer | undefined;
  let url = "";
  const readers: SseReader[] = [];
  const server = () => t as TestServer;

  beforeAll(async () => {
    const store = await factory.create();
    if (!store) return;
    // Heartbeats also re-read the revision; kept rare here so that changes must come through the feed.
    t = await startTestServer(store, { heartbeatMs: 60_000 });
    url = await t.server.listen(0, "127.0.0.1");
    const setup = [await t.request("POST", "/api/v1/segments", { key: "staff", ids: ["u1", "u2"] })];
    setup.push(
      await t.request(
        "POST",
        "/api/v1/flags",
        testFlag("beta", { rules: [{ id: "staff", conditions: [{ op: "inSegment", values: ["staff"] }], serve: { variant: "on" } }] }),
      ),
    );
    setup.push(await t.request("PUT", "/api/v1/flags/beta/overrides/u9", { source: "opt-in" }));
    for (const response of setup) if (response.status !== 201) throw new Error(`setup failed: ${JSON.stringify(response.body)}`);
  });
  afterAll(async () => {
    for (const reader of readers) reader.close();
    await t?.close();
    await t?.store.drop();
  });

  async function stream(scope: "sdk" | "admin" = "sdk"): Promise<SseReader> {
    const reader = await openSse(`${url}/api/v1/sdk/stream`, server().secrets[scope]);
    readers.push(reader);
    return reader;
  }

  it("serves the whole ruleset with its revision as ETag, and 304 when it is unchanged", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const first = await t.request("GET", "/api/v1/sdk/snapshot", undefined, { scope: "sdk" });
    expect(first.status).toBe(200);
    expect(first.headers.etag).toBe(`"${first.body.revision}"`);
    expect(first.body.revision).toBeGreaterThan(0);
    expect(first.body.ruleset.flags.map((f: { key: string }) => f.key)).toEqual(["beta"]);
    expect(first.body.ruleset.segments).toEqual([expect.objectContaining({ key: "staff", ids: ["u1", "u2"], version: 1 })]);
    expect(first.body.ruleset.overrides).toEqual([{ flag: "beta", subject: "u9", source: "opt-in" }]);

    const same = await t.request("GET", "/api/v1/sdk/snapshot", undefined, {
      scope: "sdk",
      headers: { "if-none-match": first.headers.etag as string },
    });
    expect(same.status).toBe(304);
    expect(same.body).toBeUndefined();
    expect(same.headers.etag).toBe(first.headers.etag);
    const stale = await t.request("GET", "/api/v1/sdk/snapshot", undefined, { scope: "sdk", headers: { "if-none-match": '"0"' } });
    expect(stale.status).toBe(200);

    await t.request("PATCH", "/api/v1/flags/beta", { percentage: 20 });
    const changed = await t.request("GET", "/api/v1/sdk/snapshot", undefined, {
      scope: "admin",
      headers: { "if-none-match": first.headers.etag as string },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.revision).toBe(first.body.revision + 1);
    expect(changed.headers.etag).toBe(`"${changed.body.revision}"`);
  });

  it("lets only sdk and admin tokens in", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    for (const path of ["/api/v1/sdk/snapshot", "/api/v1/sdk/stream"]) {
      for (const scope of ["read", "write"] as const) {
        const response = await t.request("GET", path, undefined, { scope });
        expect(response.status, `${path} as ${scope}`).toBe(403);
      }
      expect((await t.request("GET", path, undefined, { scope: "none" })).status).toBe(401);
    }
    const admin = await stream("admin");
    expect(admin.status).toBe(200);
    expect((await admin.next()).event).toBe("put");
    admin.close();
  });

  it("streams the snapshot first, then each change as a patch or a delete", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const reader = await stream();
    expect(reader.status).toBe(200);
    expect(reader.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const put = await reader.next();
    expect(put.event).toBe("put");
    const snapshot = await t.request("GET", "/api/v1/sdk/snapshot", undefined, { scope: "sdk" });
    expect(put.data).toEqual(snapshot.body);
    expect(put.id).toBe(String(snapshot.body.revision));
    let revision = snapshot.body.revision as number;

    const isChange = (event: { event: string }) => event.event !== "heartbeat";
    const patched = await t.request("PATCH", "/api/v1/flags/beta", { percentage: 55 });
    expect(patched.status).toBe(200);
    const patch = await reader.next(isChange);
    expect(patch).toMatchObject({ event: "patch", id: String(revision + 1), data: { revision: revision + 1 } });
    expect(patch.data.flags).toEqual([expect.objectContaining({ key: "beta", version: patched.body.version })]);
    expect(patch.data.segments).toBeUndefined();
    expect(patch.data.overrides).toBeUndefined();
    revision++;

    expect((await t.request("POST", "/api/v1/segments/staff/ids", { add: ["u3"], remove: ["u1"] })).status).toBe(200);
    const ids = await reader.next(isChange);
    expect(ids).toMatchObject({ event: "patch", data: { revision: ++revision } });
    expect(ids.data.segments).toEqual([expect.objectContaining({ key: "staff", ids: expect.arrayContaining(["u2", "u3"]), version: 2 })]);
    expect(ids.data.segments[0].ids).toHaveLength(2);

    expect((await t.request("PUT", "/api/v1/flags/beta/overrides/u10", { source: "opt-out" })).status).toBe(201);
    const overrides = await reader.next(isChange);
    expect(overrides.data).toEqual({
      revision: ++revision,
      overrides: [
        {
          flag: "beta",
          overrides: [
            { flag: "beta", subject: "u10", source: "opt-out" },
            { flag: "beta", subject: "u9", source: "opt-in" },
          ],
        },
      ],
    });

    expect((await t.request("POST", "/api/v1/flags", testFlag("extra"))).status).toBe(201);
    const added = await reader.next(isChange);
    expect(added.data.flags.map((f: { key: string }) => f.key)).toEqual(["extra"]);
    revision++;

    expect((await t.request("POST", "/api/v1/flags/extra/archive", {})).status).toBe(200);
    const archived = await reader.next(isChange);
    expect(archived).toMatchObject({ event: "delete", id: String(++revision), data: { revision, flags: ["extra"] } });

    expect((await t.request("DELETE", "/api/v1/flags/beta")).status).toBe(204);
    expect((await reader.next(isChange)).data).toEqual({ revision: ++revision, flags: ["beta"] });

    expect((await t.request("DELETE", "/api/v1/segments/staff")).status).toBe(204);
    const gone = await reader.next(isChange);
    expect(gone).toMatchObject({ event: "delete", data: { revision: ++revision, segments: ["staff"] } });
    reader.close();
  });

  it.runIf(factory.name === "postgres")("keeps following changes after its LISTEN connection is cut", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const reader = await stream();
    await reader.next((event) => event.event === "put");
    const url = (t.store.options as { databaseUrl: string }).databaseUrl;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const listeners = `select pid from pg_stat_activity where application_name = 'darklaunch-listen' and datname = current_database()`;
    const before = (await admin.query(listeners)).rows.map((row) => row.pid);
    expect(before).toHaveLength(1);
    await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'darklaunch-listen' and datname = current_database()",
    );
    // Wait for the replica to LISTEN again on a new connection.
    for (let i = 0; i < 200; i++) {
      const now = (await admin.query(listeners)).rows.map((row) => row.pid);
      if (now.length === 1 && now[0] !== before[0]) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await admin.end();
    expect((await t.request("POST", "/api/v1/flags", testFlag("after-cut"))).status).toBe(201);
    const patch = await reader.next((event) => event.event === "patch" && event.data.flags?.[0]?.key === "after-cut");
    expect(patch.data.flags[0].key).toBe("after-cut");
    reader.close();
  });
});

describe("SDK stream heartbeats and shutdown", () => {
  let t: TestServer | undefined;
  beforeAll(async () => {
    const store = await STORE_FACTORIES[0]?.create();
    if (store) t = await startTestServer(store, { heartbeatMs: 100 });
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  it("sends heartbeats with the revision, closes open streams and still shuts down", async () => {
    const server = t as TestServer;
    const url = await server.server.listen(0, "127.0.0.1");
    const reader = await openSse(`${url}/api/v1/sdk/stream`, server.secrets.sdk);
    const put = await reader.next();
    expect(put.event).toBe("put");
    for (let i = 0; i < 2; i++) {
      const heartbeat = await reader.next();
      expect(heartbeat).toMatchObject({ event: "heartbeat", id: put.id, data: { revision: put.data.revision } });
    }
    expect((await server.request("POST", "/api/v1/flags", testFlag("late"))).status).toBe(201);
    const patch = await reader.next((event) => event.event !== "heartbeat");
    expect(patch.data.flags[0].key).toBe("late");
    expect((await reader.next((event) => event.event === "heartbeat")).data).toEqual({ revision: patch.data.revision });
    expect(server.server.context.sdkStreams.size).toBe(1);
    await server.close();
    await reader.ended;
  });
});
