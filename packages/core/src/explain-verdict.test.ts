import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ARBITRARY_NOW, contextArb, rulesetArb } from "./evaluation.arbitraries.js";
import type { ExplainStep } from "./explain.js";
import type { Reason } from "./result.js";
import { compile } from "./snapshot.js";

/** The step that decides each reason (errors: the flag or the context). */
const DECIDING_STEP: Record<Reason, readonly ExplainStep["step"][]> = {
  DISABLED: ["enabled"],
  SCHEDULED_OFF: ["schedule"],
  PREREQUISITE_FAILED: ["prerequisite"],
  OVERRIDE: ["override"],
  RULE_MATCH: ["rule"],
  ROLLOUT_INCLUDED: ["fallthrough"],
  ROLLOUT_EXCLUDED: ["fallthrough"],
  FALLTHROUGH: ["fallthrough"],
  MISSING_SUBJECT: ["fallthrough", "rule"],
  ERROR: ["flag", "context"],
};

describe("explain tells what evaluate does", () => {
  it("for any flags, segments, overrides and context, explain's verdict is evaluate's, decided by the step that names it", () => {
    fc.assert(
      fc.property(rulesetArb, fc.array(contextArb, { minLength: 1, maxLength: 4 }), (ruleset, contexts) => {
        const snapshot = compile(ruleset, { now: () => ARBITRARY_NOW });
        for (const key of [...snapshot.keys(), "missing-flag"]) {
          for (const context of contexts) {
            const evaluated = snapshot.evaluate(key, context);
            const explained = snapshot.explain(key, context);
            const verdict = (r: typeof evaluated) => ({
              variant: r.variant,
              value: r.value,
              reason: r.reason,
              ruleId: r.ruleId,
              position: r.position,
              errorCode: r.errorCode,
            });
            expect(verdict(explained.result)).toEqual(verdict(evaluated));
            expect(explained.decidedBy).toBe(evaluated.reason);
            expect(explained.ruleId).toBe(evaluated.ruleId);
            if (evaluated.position !== undefined) expect(explained.position).toBe(evaluated.position);

            const decided = explained.steps.filter((s) => s.outcome === "decided");
            expect(decided).toHaveLength(1);
            expect(explained.steps.at(-1)).toBe(decided[0]);
            expect(DECIDING_STEP[evaluated.reason]).toContain(decided[0]!.step);
            if (evaluated.reason === "RULE_MATCH") expect(decided[0]!.detail).toContain(`rule "${evaluated.ruleId}" matches`);
            if (evaluated.variant !== undefined && evaluated.reason !== "RULE_MATCH") {
              expect(decided[0]!.detail).toContain(`"${evaluated.variant}"`);
            }
            // Rules that did not hold are listed in order, before the one that decided.
            const ruleIds = explained.steps.filter((s) => s.step === "rule").map((s) => /^rule "([^"]+)"/.exec(s.detail)?.[1]);
            expect(ruleIds).toEqual(ruleIds.map((_, i) => `r${i}`));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
