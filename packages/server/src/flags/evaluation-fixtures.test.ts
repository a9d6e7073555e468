import { caseTime, type EvaluationCase, loadEvaluationFixtures } from "@darklaunch/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { provisionRuleset, STORE_FACTORIES, startTestServer, type TestServer } from "../test-support.js";

// The shared (ruleset, context) → result cases of fixtures/evaluation-cases.json, through the
// server: each ruleset is created through the API, then every case is asked of the check endpoint.
const fixtures = loadEvaluationFixtures();

interface FlagLike {
  key: string;
  bucketBy?: string;
  prerequisites?: { flag: string }[];
}

/**
 * The check endpoint takes a subject id plus attributes, so it can ask a case when the context is
 * an object whose subject is a non-empty string and no caller default is involved.
 */
function checkable(c: EvaluationCase, flag: FlagLike | undefined): { subject: string; context: Record<string, unknown> } | undefined {
  if (typeof c.context !== "object" || c.context === null || Array.isArray(c.context)) return undefined;
  if (c.expect.errorCode === "TYPE_MISMATCH") return undefined;
  const context = c.context as Record<string, unknown>;
  const bucketBy = flag?.bucketBy ?? "id";
  const subject = context[bucketBy] ?? (bucketBy === "id" ? context.targetingKey : undefined);
  if (typeof subject !== "string" || subject === "") return undefined;
  return { subject, context };
}

describe.each(STORE_FACTORIES)("evaluation fixtures through the check endpoint on $name", (factory) => {
  const servers: TestServer[] = [];
  let clock = Date.parse(fixtures.now);
  afterAll(async () => {
    for (const t of servers) {
      await t.close();
      await t.store.drop();
    }
  });

  for (const [name, ruleset] of Object.entries(fixtures.rulesets)) {
    const flags = (ruleset.flags ?? []) as unknown as FlagLike[];
    const cases = fixtures.cases.filter((c) => c.ruleset === name);
    const asked = cases.filter(
      (c) =>
        checkable(
          c,
          flags.find((f) => f.key === c.flag),
        ) !== undefined,
    );

    it(`ruleset "${name}": ${asked.length} of ${cases.length} cases through check, the rest that can be asked through evaluate`, async (ctx) => {
      const store = await factory.create();
      if (!store) return ctx.skip("no Postgres");
      const t = await startTestServer(store, { now: () => clock });
      servers.push(t);
      await provisionRuleset(t, ruleset);
      expect(asked.length).toBeGreaterThan(0);
      for (const c of asked) {
        const { subject, context } = checkable(
          c,
          flags.find((f) => f.key === c.flag),
        )!;
        clock = caseTime(fixtures, c);
        const response = await t.request("POST", `/api/v1/flags/${c.flag}/check`, { id: subject, context });
        if (c.expect.errorCode === "FLAG_NOT_FOUND") {
          expect(response.status, c.name).toBe(404);
          continue;
        }
        expect(response.status, `${c.name}: ${JSON.stringify(response.body)}`).toBe(200);
        const result = response.body.results[0];
        const expected = c.expect;
        expect({ reason: result.reason, variant: result.variant ?? undefined, ruleId: result.ruleId ?? undefined }, c.name).toEqual({
          reason: expected.reason,
          variant: expected.variant,
          ruleId: expected.ruleId,
        });
        // A check reports the subject's position whatever decided; the fixture names it when a split did.
        if (expected.position !== undefined) expect(result.position, c.name).toBe(expected.position);
        if (expected.reason !== "ERROR") expect(result.value, c.name).toEqual(expected.value);
      }

      // The evaluate endpoint takes the whole context, so it can ask every case with an object
      // context. It has no caller default: that only shows in a TYPE_MISMATCH (not asked) and in an
      // error's value (not compared).
      const evaluated = cases.filter(
        (c) => typeof c.context === "object" && c.context !== null && !Array.isArray(c.context) && c.expect.errorCode !== "TYPE_MISMATCH",
      );
      expect(evaluated.length).toBeGreaterThan(0);
      for (const c of evaluated) {
        clock = caseTime(fixtures, c);
        const response = await t.request("POST", `/api/v1/flags/${c.flag}/evaluate`, { context: c.context }, { scope: "read" });
        if (c.expect.errorCode === "FLAG_NOT_FOUND") {
          expect(response.status, c.name).toBe(404);
          continue;
        }
        const r = response.body;
        expect(
          {
            variant: r.variant ?? undefined,
            reason: r.reason,
            ruleId: r.ruleId ?? undefined,
            position: r.position ?? undefined,
            errorCode: r.errorCode ?? undefined,
          },
          c.name,
        ).toEqual({
          variant: c.expect.variant,
          reason: c.expect.reason,
          ruleId: c.expect.ruleId,
          position: c.expect.position,
          errorCode: c.expect.errorCode,
        });
        if (c.expect.reason !== "ERROR") expect(r.value, c.name).toEqual(c.expect.value);
      }
    });
  }
});
