import { describe, expect, it } from "vitest";
import { STORE_FACTORIES, type TestServer, testFlag, useTestServer } from "../test-support.js";

describe.each(STORE_FACTORIES)("concurrent edits on $name", (factory) => {
  let t: TestServer | undefined;
  useTestServer(factory, (server) => {
    t = server;
  });

  it("20 parallel patches with the same version: exactly one succeeds, 19 get 409, one audit entry", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const server = t;
    await server.request("POST", "/api/v1/flags", testFlag("contended"));
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => server.request("PATCH", "/api/v1/flags/contended", { version: 1, percentage: i + 1 })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = responses.find((r) => r.status === 200)!;
    const stored = await server.request("GET", "/api/v1/flags/contended");
    expect(stored.body).toMatchObject({ version: 2, percentage: winner.body.percentage });
    const audit = await server.server.database.db
      .selectFrom("audit")
      .selectAll()
      .where("target_key", "=", "contended")
      .where("action", "=", "flag.rollout")
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.after!)).toMatchObject({ version: 2, fallthrough: winner.body.fallthrough });
  });

  it("20 parallel creates of one key: exactly one 201", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const server = t;
    const responses = await Promise.all(Array.from({ length: 20 }, () => server.request("POST", "/api/v1/flags", testFlag("raced"))));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(19);
  });
});
