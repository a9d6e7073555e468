import { describe, expect, it } from "vitest";
import type { ExplainStep } from "./explain.js";
import type { FlagInput } from "./flag-schema.js";
import type { Reason } from "./result.js";
import { findSubject, flag, referencePosition, rollout, snapshotOf } from "./test-builders.js";

const NOW = Date.parse("2026-06-01T00:00:00Z");

const checkout = (overrides: Partial<FlagInput> = {}) =>
  flag({
    key: "checkout-v2",
    version: 7,
    rules: [
      { id: "beta", conditions: [{ op: "inSegment", values: ["beta-testers"] }], serve: { variant: "on" } },
      {
        id: "eu-pro",
        conditions: [
          { attribute: "country", op: "in", values: ["NL", "DE"] },
          { attribute: "plan", op: "in", values: ["pro"] },
        ],
        serve: { variant: "on" },
      },
    ],
    fallthrough: rollout(10),
    ...overrides,
  });

const snapshot = snapshotOf(
  [
    checkout(),
    checkout({ key: "disabled", enabled: false }),
    checkout({ key: "scheduled", schedule: { start: "2026-12-01T08:00:00Z" } }),
    checkout({ key: "gated", prerequisites: [{ flag: "disabled", variant: "on" }] }),
    checkout({ key: "fixed", rules: [], fallthrough: { variant: "on" } }),
    checkout({ key: "rule-split", rules: [{ id: "all", conditions: [], serve: rollout(50) }] }),
    checkout({
      key: "off-first",
      rules: [],
      fallthrough: {
        split: [
          { variant: "off", weight: 90 },
          { variant: "on", weight: 10 },
        ],
      },
    }),
  ],
  {
    segments: [{ key: "beta-testers", ids: ["u-ada"] }],
    overrides: [
      { flag: "checkout-v2", subject: "u-vip", source: "opt-in" },
      { flag: "checkout-v2", subject: "u-pinned", variant: "on" },
      { flag: "checkout-v2", subject: "u-out", source: "opt-out" },
    ],
  },
  { now: () => NOW },
);

/** docs/architecture.md#position-deterministic-bucketing with node:crypto: a subject at exactly 60.51 under the flag's salt (its key). */
const AT_60_51 = findSubject("checkout-v2", (p) => p === 60.51);
const AT_5 = findSubject("checkout-v2", (p) => p === 5);

describe("the example subject", () => {
  it("sits at 60.51 by md5 as docs/architecture.md#position-deterministic-bucketing computes it", () => {
    expect(referencePosition(AT_60_51, "checkout-v2")).toBe(60.51);
    expect(snapshot.evaluate("checkout-v2", { id: AT_60_51 }).position).toBe(60.51);
  });
});

describe("summary", () => {
  it("position 60.51 → excluded at 10 %, included from 60.52 %", () => {
    const explanation = snapshot.explain("checkout-v2", { id: AT_60_51 });
    expect(explanation.summary).toBe("position 60.51 → excluded at 10 %, included from 60.52 %");
    expect(explanation.position).toBe(60.51);
    expect(explanation.rollout).toEqual({ percentage: 10, included: false, includedFrom: 60.52 });
    expect(explanation.decidedBy).toBe("ROLLOUT_EXCLUDED");
  });

  it("an included subject: two decimals for the position, the shortest form for percentages", () => {
    const explanation = snapshot.explain("checkout-v2", { id: AT_5 });
    expect(explanation.summary).toBe("position 5.00 → included at 10 %, included from 5.01 %");
    expect(explanation.rollout).toEqual({ percentage: 10, included: true, includedFrom: 5.01 });
    expect(explanation.decidedBy).toBe("ROLLOUT_INCLUDED");
  });

  it("when an earlier step decided, it says so and that the rollout does not apply", () => {
    expect(snapshot.explain("disabled", { id: "u1" }).summary).toBe(
      `flag is disabled → "off"; the rollout does not apply (position ${referencePosition("u1", "disabled").toFixed(2)} → excluded at 10 %, included from ${
        (Math.round(referencePosition("u1", "disabled") * 100) + 1) / 100
      } %)`,
    );
  });

  it("without a subject, the deciding step alone", () => {
    expect(snapshot.explain("checkout-v2", {}).summary).toBe('no subject in "id" → excluded ("off")');
    expect(snapshot.explain("checkout-v2", { country: "NL", plan: "pro" }).summary).toBe(
      'rule "eu-pro" matches (country in ["NL", "DE"]: yes (country = "NL"); plan in ["pro"]: yes (plan = "pro")) → variant "on"',
    );
  });

  it("without a rollout shape, the deciding step and the position", () => {
    const p = referencePosition(AT_60_51, "off-first").toFixed(2);
    expect(snapshot.explain("off-first", { id: AT_60_51 }).summary).toBe(`split off 90 % / on 10 %: position ${p} → "off"`);
    expect(snapshot.explain("checkout-v2", { id: "u-ada" }).summary).toMatch(
      /^rule "beta" matches .*; the rollout does not apply \(position /,
    );
  });
});

describe("the decided step", () => {
  it.each<[string, string, Record<string, unknown>, Reason, ExplainStep["step"], string]>([
    ["DISABLED", "disabled", { id: "u1" }, "DISABLED", "enabled", 'flag is disabled → "off"'],
    [
      "SCHEDULED_OFF",
      "scheduled",
      { id: "u1" },
      "SCHEDULED_OFF",
      "schedule",
      'now (2026-06-01T00:00:00.000Z) is outside the schedule 2026-12-01T08:00:00Z … forever → "off"',
    ],
    [
      "PREREQUISITE_FAILED",
      "gated",
      { id: "u1" },
      "PREREQUISITE_FAILED",
      "prerequisite",
      'flag "disabled" must serve "on": it does not → "off"',
    ],
    ["an opt-in OVERRIDE", "checkout-v2", { id: "u-vip" }, "OVERRIDE", "override", 'subject "u-vip" has an opt-in override → "on"'],
    ["a pinned OVERRIDE", "checkout-v2", { id: "u-pinned" }, "OVERRIDE", "override", 'subject "u-pinned" has a pinned override → "on"'],
    [
      "an opt-out OVERRIDE",
      "checkout-v2",
      { id: "u-out", country: "NL", plan: "pro" },
      "OVERRIDE",
      "override",
      'subject "u-out" has an opt-out override → "off"',
    ],
    [
      "RULE_MATCH",
      "checkout-v2",
      { id: "u1", country: "DE", plan: "pro" },
      "RULE_MATCH",
      "rule",
      'rule "eu-pro" matches (country in ["NL", "DE"]: yes (country = "DE"); plan in ["pro"]: yes (plan = "pro")) → variant "on"',
    ],
    [
      "RULE_MATCH by segment",
      "checkout-v2",
      { id: "u-ada" },
      "RULE_MATCH",
      "rule",
      'rule "beta" matches (subject inSegment ["beta-testers"]: yes (subject "u-ada")) → variant "on"',
    ],
    [
      "RULE_MATCH with a split",
      "rule-split",
      { id: "u1" },
      "RULE_MATCH",
      "rule",
      `rule "all" matches (no conditions) → split on 50 % / off 50 % at position ${referencePosition("u1", "rule-split").toFixed(2)}`,
    ],
    [
      "MISSING_SUBJECT in a rule",
      "rule-split",
      {},
      "MISSING_SUBJECT",
      "rule",
      'rule "all" matches (no conditions) → split on 50 % / off 50 %, but there is no subject in "id" → excluded ("off")',
    ],
    [
      "ROLLOUT_EXCLUDED",
      "checkout-v2",
      { id: AT_60_51 },
      "ROLLOUT_EXCLUDED",
      "fallthrough",
      'split on 10 % / off 90 %: position 60.51 → "off"',
    ],
    ["ROLLOUT_INCLUDED", "checkout-v2", { id: AT_5 }, "ROLLOUT_INCLUDED", "fallthrough", 'split on 10 % / off 90 %: position 5.00 → "on"'],
    ["FALLTHROUGH", "fixed", { id: "u1" }, "FALLTHROUGH", "fallthrough", 'no rule matched → variant "on"'],
    ["MISSING_SUBJECT", "checkout-v2", { country: "FR" }, "MISSING_SUBJECT", "fallthrough", 'no subject in "id" → excluded ("off")'],
    [
      "ERROR: a subject that is not a string",
      "checkout-v2",
      { id: true },
      "ERROR",
      "context",
      'the subject attribute "id" is not a string or a number',
    ],
  ])("%s", (_, key, context, reason, step, detail) => {
    const explanation = snapshot.explain(key, context);
    expect(explanation.decidedBy).toBe(reason);
    expect(explanation.result.reason).toBe(reason);
    expect(explanation.result).toEqual(snapshot.evaluate(key, context));
    const decided = explanation.steps.filter((s) => s.outcome === "decided");
    expect(decided).toEqual([{ step, outcome: "decided", detail }]);
    expect(explanation.steps.at(-1)).toEqual(decided[0]);
  });

  it("the steps before it are the ones evaluation passed, in order", () => {
    expect(snapshot.explain("gated", { id: "u1" }).steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      "enabled:pass",
      "prerequisite:decided",
    ]);
    expect(snapshot.explain("checkout-v2", { id: AT_60_51, country: "NL" }).steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      "enabled:pass",
      "rule:no-match",
      "rule:no-match",
      "fallthrough:decided",
    ]);
  });

  it("ruleId names the rule that decided", () => {
    expect(snapshot.explain("checkout-v2", { id: "u1", country: "NL", plan: "pro" }).ruleId).toBe("eu-pro");
    expect(snapshot.explain("checkout-v2", { id: "u1" }).ruleId).toBeUndefined();
  });
});

describe("rule no-match details", () => {
  it("name only the conditions that fail, with the value the context holds", () => {
    const steps = snapshot.explain("checkout-v2", { id: "u1", country: "NL", plan: "free" }).steps;
    expect(steps.filter((s) => s.outcome === "no-match")).toEqual([
      { step: "rule", outcome: "no-match", detail: 'rule "beta" does not match: subject inSegment ["beta-testers"]: no (subject "u1")' },
      { step: "rule", outcome: "no-match", detail: 'rule "eu-pro" does not match: plan in ["pro"]: no (plan = "free")' },
    ]);
  });

  it("show absent attributes, negation and long value lists", () => {
    const explained = snapshotOf([
      flag({
        rules: [
          {
            id: "r",
            conditions: [
              { attribute: "country", op: "in", values: ["NL"], negate: true },
              { attribute: "tier", op: "in", values: [1, 2, 3, 4, 5, 6, 7] },
            ],
            serve: { variant: "on" },
          },
        ],
      }),
    ]).explain("f", { id: "u1", country: "NL" });
    expect(explained.steps[1]).toEqual({
      step: "rule",
      outcome: "no-match",
      detail:
        'rule "r" does not match: country not in ["NL"]: no (country = "NL"); tier in [1, 2, 3, 4, 5, … 2 more]: no (tier = undefined)',
    });
  });
});

describe("position", () => {
  it("is given whenever there is a subject, even when an earlier step decided", () => {
    for (const key of ["checkout-v2", "disabled", "scheduled", "gated", "fixed"]) {
      expect(snapshot.explain(key, { id: "u1" }).position, key).toBe(referencePosition("u1", key));
    }
    expect(snapshot.explain("checkout-v2", { id: "u1" })).toMatchObject({
      subject: "u1",
      bucketBy: "id",
      salt: "checkout-v2",
      flagVersion: 7,
    });
  });

  it("is undefined without a subject or with one that is not a string or number", () => {
    expect(snapshot.explain("checkout-v2", {})).toMatchObject({ subject: undefined, position: undefined, rollout: undefined });
    expect(snapshot.explain("checkout-v2", { id: { nested: 1 } })).toMatchObject({ subject: undefined, position: undefined });
  });

  it("follows bucketBy, targetingKey and the salt", () => {
    const explained = snapshotOf([flag({ key: "acct", bucketBy: "accountId", salt: "shared", fallthrough: rollout(25) })]);
    expect(explained.explain("acct", { id: "u1", accountId: "acme" })).toMatchObject({
      subject: "acme",
      bucketBy: "accountId",
      salt: "shared",
      position: referencePosition("acme", "shared"),
    });
    expect(snapshot.explain("checkout-v2", { targetingKey: AT_60_51 }).position).toBe(60.51);
  });
});

describe("rollout", () => {
  it("reads the fallthrough as a rollout: percentage, this subject's verdict, and the percentage that includes it", () => {
    expect(snapshot.explain("checkout-v2", { id: AT_60_51 }).rollout).toEqual({ percentage: 10, included: false, includedFrom: 60.52 });
    expect(snapshot.explain("fixed", { id: AT_60_51 }).rollout).toEqual({
      percentage: 100,
      included: true,
      includedFrom: (Math.round(referencePosition(AT_60_51, "fixed") * 100) + 1) / 100,
    });
  });

  it("is undefined for a split that is not a rollout (off first)", () => {
    expect(snapshot.explain("off-first", { id: "u1" }).rollout).toBeUndefined();
  });
});

describe("whatIf", () => {
  it("gives the verdict at another percentage", () => {
    const at = (percentage: number) => snapshot.explain("checkout-v2", { id: AT_60_51 }, { percentage });
    expect(at(70).whatIf).toEqual({ percentage: 70, included: true, decidedEarlier: false });
    expect(at(60.52).whatIf).toEqual({ percentage: 60.52, included: true, decidedEarlier: false });
    expect(at(60.51).whatIf).toEqual({ percentage: 60.51, included: false, decidedEarlier: false });
    expect(at(0).whatIf).toEqual({ percentage: 0, included: false, decidedEarlier: false });
    expect(at(100).whatIf).toEqual({ percentage: 100, included: true, decidedEarlier: false });
    expect(at(70).summary).toBe("position 60.51 → excluded at 10 %, included from 60.52 %; at 70 %: included");
    expect(at(60.51).summary).toBe("position 60.51 → excluded at 10 %, included from 60.52 %; at 60.51 %: excluded");
  });

  it("says when an earlier step decides whatever the percentage", () => {
    const explained = snapshot.explain("checkout-v2", { id: AT_60_51, country: "NL", plan: "pro" }, { percentage: 70 });
    expect(explained.whatIf).toEqual({ percentage: 70, included: true, decidedEarlier: true });
    expect(explained.summary).toBe(
      'rule "eu-pro" matches (country in ["NL", "DE"]: yes (country = "NL"); plan in ["pro"]: yes (plan = "pro")) → variant "on"; ' +
        "the rollout does not apply (position 60.51 → excluded at 10 %, included from 60.52 %); at 70 % still decided before the rollout",
    );
  });

  it("is undefined without a subject", () => {
    expect(snapshot.explain("checkout-v2", {}, { percentage: 50 }).whatIf).toBeUndefined();
  });

  it("an invalid percentage gives no whatIf and a step that decides nothing", () => {
    for (const percentage of [-1, 100.01, 10.001, Number.NaN]) {
      const explained = snapshot.explain("checkout-v2", { id: AT_60_51 }, { percentage });
      expect(explained.whatIf).toBeUndefined();
      expect(explained.steps[0]).toEqual({
        step: "flag",
        outcome: "pass",
        detail: `what-if percentage ${percentage} is not from 0 to 100 with two decimals`,
      });
      expect(explained.steps.filter((s) => s.outcome === "decided")).toHaveLength(1);
      expect(explained.decidedBy).toBe("ROLLOUT_EXCLUDED");
      expect(explained.summary).toBe("position 60.51 → excluded at 10 %, included from 60.52 %");
    }
  });
});

describe("errors", () => {
  it("an unknown flag", () => {
    const explained = snapshot.explain("nope", { id: "u1" });
    expect(explained).toEqual({
      flagKey: "nope",
      flagVersion: undefined,
      bucketBy: undefined,
      salt: undefined,
      subject: undefined,
      position: undefined,
      result: snapshot.evaluate("nope", { id: "u1" }),
      decidedBy: "ERROR",
      ruleId: undefined,
      steps: [{ step: "flag", outcome: "decided", detail: 'flag "nope" does not exist' }],
      rollout: undefined,
      whatIf: undefined,
      summary: 'flag "nope" does not exist',
    });
    expect(explained.result.errorCode).toBe("FLAG_NOT_FOUND");
  });

  it("contexts holding what JSON cannot (BigInt, cycles) are explained, not thrown on", () => {
    const cyclic: Record<string, unknown> = { id: "u1" };
    cyclic.country = cyclic;
    const odd = snapshotOf([
      flag({
        key: "odd",
        rules: [{ id: "r", conditions: [{ attribute: "country", op: "in", values: ["NL"] }], serve: { variant: "on" } }],
      }),
    ]);
    expect(odd.explain("odd", cyclic).steps[1]?.detail).toBe('rule "r" does not match: country in ["NL"]: no (country = [object Object])');
    expect(odd.explain("odd", { id: "u1", country: 10n }).steps[1]?.detail).toBe(
      'rule "r" does not match: country in ["NL"]: no (country = 10)',
    );
  });

  it("a context that is not an object", () => {
    const explained = snapshot.explain("checkout-v2", "u1");
    expect(explained.steps).toEqual([{ step: "context", outcome: "decided", detail: "the context is not an object of attributes" }]);
    expect(explained.summary).toBe("the context is not an object of attributes");
    expect(explained.result.errorCode).toBe("INVALID_CONTEXT");
    expect(explained.flagVersion).toBe(7);
  });

  it("no context reads as an empty one", () => {
    expect(snapshot.explain("checkout-v2").decidedBy).toBe("MISSING_SUBJECT");
  });
});
