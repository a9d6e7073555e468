import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";

describe.each(STORE_FACTORIES)("PUT /api/v1/flags/{key}/launch on $name", (factory) => {
  let t: TestServer | undefined;
  beforeAll(async () => {
    const store = await factory.create();
    if (store) t = await startTestServer(store);
  });
  afterAll(async () => {
    await t?.close();
    await t?.store.drop();
  });

  const launch = (key: string, body: unknown, headers: Record<string, string> = {}) =>
    (t as TestServer).request("PUT", `/api/v1/flags/${key}/launch`, body, { headers });
  const actions = async (key: string) =>
    (await (t as TestServer).request("GET", `/api/v1/flags/${key}/audit`)).body.entries.map((e: { action: string }) => e.action);

  it("creates a release flag the server shapes, then ramps it, then changes nothing when asked again", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const created = await launch("checkout-v2", { percentage: 10 });
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.body).toMatchObject({ created: true, changed: true, before: null });
    expect(created.body.flag).toMatchObject({
      key: "checkout-v2",
      kind: "release",
      variants: { on: true, off: false },
      offVariant: "off",
      enabled: true,
      bucketBy: "id",
      percentage: 10,
      version: 1,
      fallthrough: {
        split: [
          { variant: "on", weight: 10 },
          { variant: "off", weight: 90 },
        ],
      },
    });
    expect(created.body.flag).not.toHaveProperty("salt");

    const ramped = await launch("checkout-v2", { percentage: 25.5, version: 1 });
    expect(ramped.status).toBe(200);
    expect(ramped.body).toMatchObject({
      created: false,
      changed: true,
      before: { percentage: 10, version: 1 },
      flag: { percentage: 25.5, version: 2 },
    });

    const same = await launch("checkout-v2", { percentage: 25.5 });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ created: false, changed: false, flag: { version: 2 } });
    expect(await actions("checkout-v2")).toEqual(["flag.rollout", "flag.create"]);
  });

  it("re-enables a disabled flag and changes its bucketBy and salt in the same write", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await t.request("POST", "/api/v1/flags", testFlag("wf-gate", { enabled: false }));
    const launched = await launch("wf-gate", { percentage: 1, bucketBy: "workflowId", salt: "" });
    expect(launched.status).toBe(200);
    expect(launched.body.flag).toMatchObject({ enabled: true, bucketBy: "workflowId", salt: "", percentage: 1, version: 2 });
    expect(launched.body.before).toMatchObject({ enabled: false, bucketBy: "id", percentage: 10 });
  });

  it("refuses a stale version (409), an archived flag (409), an unknown variant and a bad percentage (400)", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    await launch("guarded", { percentage: 5 });
    const stale = await launch("guarded", { percentage: 6 }, { "if-match": '"7"' });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe("VERSION_CONFLICT");
    // A stale version is refused even when the flag is already launched as asked.
    expect((await launch("guarded", { percentage: 5, version: 3 })).status).toBe(409);

    const variant = await launch("guarded", { percentage: 6, variant: "blue" });
    expect(variant.status).toBe(400);
    expect(variant.body.details).toEqual([{ path: "variant", message: expect.stringContaining('"blue" is not a variant') }]);
    const off = await launch("brand-new", { percentage: 6, variant: "off" });
    expect(off.status).toBe(400);
    expect(off.body.details[0]).toMatchObject({ path: "variant" });
    const percentage = await launch("guarded", { percentage: 150, extra: true });
    expect(percentage.status).toBe(400);
    expect(percentage.body.details.map((d: { path: string }) => d.path).sort()).toEqual(["", "percentage"]);

    await t.request("POST", "/api/v1/flags/guarded/archive", {});
    const archived = await launch("guarded", { percentage: 6 });
    expect(archived.status).toBe(409);
    expect(archived.body.message).toContain("archived");
    expect((await launch("nobody", { percentage: 6, version: 1 })).status).toBe(404);
  });

  it("creates a stable/shadow/dark flag from a split, refuses a percentage that would drop shares, and audits the whole split", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const split = [
      { variant: "stable", weight: 50 },
      { variant: "shadow", weight: 40 },
      { variant: "dark", weight: 10 },
    ];
    const created = await launch("search-split", { split });
    expect(created.status).toBe(201);
    expect(created.body.flag).toMatchObject({
      variants: { stable: "stable", shadow: "shadow", dark: "dark" },
      offVariant: "stable",
      fallthrough: { split },
      percentage: null,
    });
    expect((await launch("search-split", { split })).body.changed).toBe(false);

    const refused = await launch("search-split", { percentage: 20, variant: "dark" });
    expect(refused.status).toBe(400);
    expect(refused.body.details[0].path).toBe("percentage");
    expect(refused.body.details[0].message).toContain("stable 50% / shadow 40% / dark 10%");
    expect(refused.body.details[0].message).toContain("--split stable=50,shadow=40,dark=10");
    // PATCH with a percentage follows the same rule.
    expect((await t.request("PATCH", "/api/v1/flags/search-split", { percentage: 20, variant: "dark" })).status).toBe(400);
    expect((await t.request("GET", "/api/v1/flags/search-split")).body.version).toBe(1);

    const next = [
      { variant: "stable", weight: 45 },
      { variant: "shadow", weight: 35 },
      { variant: "dark", weight: 20 },
    ];
    const changed = await launch("search-split", { split: next });
    expect(changed.status).toBe(200);
    expect(changed.body.flag.fallthrough).toEqual({ split: next });
    const [entry] = (await t.request("GET", "/api/v1/flags/search-split/audit")).body.entries;
    expect(entry).toMatchObject({ action: "flag.rollout", before: { fallthrough: { split } }, after: { fallthrough: { split: next } } });

    // A two-way split still takes a percentage; naming another variant would drop dark's share.
    await launch("search-split", {
      split: [
        { variant: "stable", weight: 90 },
        { variant: "dark", weight: 10 },
      ],
    });
    const ramped = await launch("search-split", { percentage: 20 });
    expect(ramped.body.flag.fallthrough).toEqual({
      split: [
        { variant: "dark", weight: 20 },
        { variant: "stable", weight: 80 },
      ],
    });
    expect((await launch("search-split", { percentage: 30, variant: "shadow" })).status).toBe(400);
  });

  it("names the split when it is wrong: its sum, a repeated or unknown variant, or given with a percentage", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const paths = async (body: unknown, key = "split-bad") => {
      const answer = await launch(key, body);
      expect(answer.status).toBe(400);
      return answer.body.details.map((d: { path: string; message: string }) => `${d.path}: ${d.message}`);
    };
    expect(
      await paths({
        split: [
          { variant: "a", weight: 60 },
          { variant: "b", weight: 30 },
        ],
      }),
    ).toEqual(["split: weights sum to 90, not 100"]);
    expect(
      await paths({
        split: [
          { variant: "a", weight: 50 },
          { variant: "a", weight: 50 },
        ],
      }),
    ).toEqual(['split[1].variant: variant "a" appears twice in the split']);
    expect(await paths({ percentage: 10, split: [{ variant: "a", weight: 100 }] })).toEqual([
      "percentage: give exactly one of percentage or split",
    ]);
    expect(await paths({})).toEqual(["percentage: give exactly one of percentage or split"]);
    await launch("split-known", { percentage: 10 });
    expect(
      await paths(
        {
          split: [
            { variant: "on", weight: 50 },
            { variant: "blue", weight: 50 },
          ],
        },
        "split-known",
      ),
    ).toEqual(['split: "blue" is not a variant of flag "split-known" (its variants: on, off)']);
  });
});
