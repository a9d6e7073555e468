import { OpenFeature, ProviderEvents } from "@openfeature/server-sdk";
import { afterAll, describe, expect, it } from "vitest";
import { createClient, DarkLaunchProvider } from "./index.js";
import { boolFlag, type FakeServer, rulesetWith, sse, startFakeServer, streamOf, waitFor } from "./test-fake-server.js";

describe("DarkLaunchProvider events through the OpenFeature SDK", () => {
  let server: FakeServer | undefined;
  afterAll(async () => {
    await OpenFeature.close();
    await server?.close();
  });

  it("READY, CONFIGURATION_CHANGED, ERROR, STALE and READY again", async () => {
    const fake = await startFakeServer();
    server = fake;
    let revision = 1;
    fake.handle(
      "/api/v1/sdk/stream",
      streamOf(
        () => fake,
        () => ({ revision, ruleset: rulesetWith([boolFlag("a", true), { ...boolFlag("n", true), variants: { on: 2, off: 0 } }]) }),
      ),
    );
    const client = createClient({ url: fake.url, token: "t", telemetry: false, backoff: { baseMs: 20, capMs: 50 } });
    const seen: string[] = [];
    for (const event of [ProviderEvents.Ready, ProviderEvents.ConfigurationChanged, ProviderEvents.Stale, ProviderEvents.Error]) {
      OpenFeature.addHandler(event, () => seen.push(event));
    }
    await OpenFeature.setProviderAndWait("events", new DarkLaunchProvider(client));
    const of = OpenFeature.getClient("events");
    expect(await of.getBooleanDetails("a", false, { targetingKey: "u1" })).toMatchObject({ value: true, variant: "on", reason: "STATIC" });
    expect(await of.getNumberValue("n", 7, { targetingKey: "u1" })).toBe(2);
    expect(await of.getBooleanDetails("missing", false, {})).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
    expect(await of.getStringDetails("a", "x", {})).toMatchObject({ value: "x", reason: "ERROR", errorCode: "TYPE_MISMATCH" });

    const changed = waitFor<unknown>((l) => {
      const handler = (details: unknown) => l(details);
      of.addHandler(ProviderEvents.ConfigurationChanged, handler);
      return () => of.removeHandler(ProviderEvents.ConfigurationChanged, handler);
    });
    for (const s of fake.streams) s.write(sse("patch", { revision: 2, flags: [boolFlag("a", false, 2)] }));
    expect(await changed).toMatchObject({ flagsChanged: ["a"] });
    expect(await of.getBooleanValue("a", true, { targetingKey: "u1" })).toBe(false);

    const malformed = waitFor((l) => client.on("error", l));
    for (const s of fake.streams) s.write(sse("patch", "not json"));
    await malformed;
    revision = 3;
    for (const s of fake.streams) s.destroy();
    await waitFor((l) => client.on("ready", l));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(
      expect.arrayContaining([ProviderEvents.Ready, ProviderEvents.ConfigurationChanged, ProviderEvents.Error, ProviderEvents.Stale]),
    );
    expect(seen.lastIndexOf(ProviderEvents.Ready)).toBeGreaterThan(seen.indexOf(ProviderEvents.Stale));
  });
});
