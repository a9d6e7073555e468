import { OFREPProvider } from "@openfeature/ofrep-provider";
import { ErrorCode, OpenFeature } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FACTORIES, startTestServer, type TestServer, testFlag } from "../test-support.js";

// The official OFREP provider (@openfeature/ofrep-provider) as the client, against a real server
// listening on an ephemeral port: what any OpenFeature user gets when pointed at darklaunch.
describe.each(STORE_FACTORIES)("the official OFREP provider against a real server on $name", (factory) => {
  let t: TestServer | undefined;
  let baseUrl = "";
  const domain = `ofrep-${factory.name}`;

  beforeAll(async () => {
    const store = await factory.create();
    if (!store) return;
    t = await startTestServer(store);
    baseUrl = await t.server.listen(0, "127.0.0.1");
    const on = { fallthrough: { variant: "on" } };
    await t.request("POST", "/api/v1/flags", testFlag("of-bool", on));
    const created = await t.request("POST", "/api/v1/flags", {
      key: "of-string",
      variants: { plain: "hello", fancy: "bonjour" },
      offVariant: "plain",
      enabled: true,
      rules: [{ id: "fr", conditions: [{ attribute: "country", op: "in", values: ["FR"] }], serve: { variant: "fancy" } }],
      fallthrough: { variant: "plain" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await t.request("POST", "/api/v1/flags", {
      key: "of-number",
      variants: { low: 10, high: 25 },
      offVariant: "low",
      enabled: true,
      fallthrough: { variant: "high" },
    });
    await t.request("POST", "/api/v1/flags", {
      key: "of-object",
      variants: { none: { limit: 0 }, some: { limit: 5, tier: "gold" } },
      offVariant: "none",
      enabled: false,
      fallthrough: { variant: "some" },
    });
    await OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl, headers: { Authorization: `Bearer ${t.secrets.sdk}` } }));
  });
  afterAll(async () => {
    await OpenFeature.clearProviders();
    await t?.close();
    await t?.store.drop();
  });

  it("resolves boolean, string, number and object flags with their reasons", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const client = OpenFeature.getClient(domain);
    const bool = await client.getBooleanDetails("of-bool", false, { targetingKey: "u1" });
    expect(bool).toMatchObject({ value: true, variant: "on", reason: "STATIC", flagMetadata: { reason: "FALLTHROUGH" } });
    expect(bool.errorCode).toBeUndefined();
    const fr = await client.getStringDetails("of-string", "x", { targetingKey: "u1", country: "FR" });
    expect(fr).toMatchObject({
      value: "bonjour",
      variant: "fancy",
      reason: "TARGETING_MATCH",
      flagMetadata: { reason: "RULE_MATCH", ruleId: "fr" },
    });
    expect(await client.getStringValue("of-string", "x", { targetingKey: "u1", country: "NL" })).toBe("hello");
    const number = await client.getNumberDetails("of-number", 0, { targetingKey: "u1" });
    expect(number).toMatchObject({ value: 25, variant: "high" });
    expect(number.flagMetadata.flagVersion).toBe(1);
    const object = await client.getObjectDetails("of-object", {}, { targetingKey: "u1" });
    expect(object).toMatchObject({ value: { limit: 0 }, variant: "none", reason: "DISABLED" });
    const rows = (await t.request("GET", "/api/v1/evaluations?source=ofrep&subject=u1")).body.evaluations;
    expect(rows.length).toBe(5);
  });

  it("reports FLAG_NOT_FOUND, TYPE_MISMATCH and INVALID_CONTEXT with the caller's default", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const client = OpenFeature.getClient(domain);
    const missing = await client.getBooleanDetails("no-such-flag", true, { targetingKey: "u1" });
    expect(missing).toMatchObject({ value: true, reason: "ERROR", errorCode: ErrorCode.FLAG_NOT_FOUND });
    const mismatch = await client.getNumberDetails("of-string", 7, { targetingKey: "u1" });
    expect(mismatch).toMatchObject({ value: 7, reason: "ERROR", errorCode: ErrorCode.TYPE_MISMATCH });
    const invalid = await client.getBooleanDetails("of-bool", false, { targetingKey: "u1", id: { nested: true } });
    expect(invalid).toMatchObject({ value: false, reason: "ERROR", errorCode: ErrorCode.INVALID_CONTEXT });
  });

  it("a wrong token is a GENERAL error, not an answer", async (ctx) => {
    if (!t) return ctx.skip("no Postgres");
    const name = `${domain}-bad-token`;
    await OpenFeature.setProviderAndWait(name, new OFREPProvider({ baseUrl, headers: { Authorization: "Bearer dl_wrong" } }));
    const details = await OpenFeature.getClient(name).getBooleanDetails("of-bool", false, { targetingKey: "u1" });
    expect(details).toMatchObject({ value: false, reason: "ERROR", errorCode: ErrorCode.GENERAL });
  });
});
