import { compile, type VariantValue } from "@darklaunch/core";
import { caseTime, type EvaluationCase, loadEvaluationFixtures } from "@darklaunch/testkit";
import { type EvaluationDetails, type FlagValue, OpenFeature } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type DarkLaunchClient, DarkLaunchProvider } from "./index.js";

const fixtures = loadEvaluationFixtures();
let clock = 0;
const clients = new Map<string, DarkLaunchClient>();

function clientOf(name: string): DarkLaunchClient {
  let client = clients.get(name);
  if (client === undefined) {
    const ruleset = fixtures.rulesets[name];
    if (ruleset === undefined) throw new Error(`no ruleset "${name}"`);
    client = createClient({ offline: true, bootstrap: ruleset, now: () => clock });
    clients.set(name, client);
  }
  return client;
}

afterAll(async () => {
  for (const client of clients.values()) await client.close();
});

describe("the evaluation fixtures through the SDK (bootstrap)", () => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const client = clientOf(c.ruleset);
    clock = caseTime(fixtures, c);
    const result = client.evaluate(c.flag, c.context as Record<string, unknown>, c.default);
    expect({
      variant: result.variant,
      value: result.value,
      reason: result.reason,
      errorCode: result.errorCode,
      ruleId: result.ruleId,
      position: result.position,
    }).toEqual({
      variant: c.expect.variant,
      value: c.expect.value,
      reason: c.expect.reason,
      errorCode: c.expect.errorCode,
      ruleId: c.expect.ruleId,
      position: c.expect.position,
    });
  });
});

/** OpenFeature needs a typed default and an object context: the other cases have no OpenFeature form. */
function openFeatureCases(): EvaluationCase[] {
  return fixtures.cases.filter(
    (c) =>
      c.default !== undefined && c.default !== null && typeof c.context === "object" && c.context !== null && !Array.isArray(c.context),
  );
}

describe("the evaluation fixtures through the OpenFeature SDK and DarkLaunchProvider", () => {
  const cases = openFeatureCases();
  const names = [...new Set(cases.map((c) => c.ruleset))];
  beforeAll(async () => {
    for (const name of names) {
      await OpenFeature.setProviderAndWait(`fixtures-${name}`, new DarkLaunchProvider(clientOf(name)));
    }
  });
  afterAll(async () => {
    await OpenFeature.close();
  });

  it("has cases to run", () => {
    expect(cases.length).toBeGreaterThan(20);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const of = OpenFeature.getClient(`fixtures-${c.ruleset}`);
    const context = c.context as Record<string, string>;
    clock = caseTime(fixtures, c);
    const core = compile(fixtures.rulesets[c.ruleset], { now: () => clock }).evaluate(c.flag, c.context, c.default);
    const fallback = c.default as VariantValue;
    let details: EvaluationDetails<FlagValue>;
    if (typeof fallback === "boolean") details = await of.getBooleanDetails(c.flag, fallback, context);
    else if (typeof fallback === "string") details = await of.getStringDetails(c.flag, fallback, context);
    else if (typeof fallback === "number") details = await of.getNumberDetails(c.flag, fallback, context);
    else details = await of.getObjectDetails(c.flag, fallback, context);
    expect({ value: details.value, variant: details.variant, reason: details.reason, errorCode: details.errorCode }).toEqual({
      value: c.expect.value,
      variant: c.expect.variant,
      reason: core.openFeatureReason,
      errorCode: c.expect.errorCode,
    });
  });
});
