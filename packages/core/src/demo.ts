/**
 * `npm start` until the control plane exists (issue #3): compiles a sample ruleset, evaluates it
 * for a few subjects and explains one decision, the way `darklaunch check` will.
 * Not part of the package's public surface.
 */
import { compile, formatPercentage, type RulesetInput, rolloutOf, routingFormula } from "./index.js";

const ruleset: RulesetInput = {
  segments: [
    { key: "beta-testers", ids: ["u-ada", "u-linus"], conditions: [{ attribute: "email", op: "endsWith", values: ["@example.com"] }] },
  ],
  flags: [
    {
      key: "checkout-v2",
      description: "One-click checkout",
      owner: "payments",
      enabled: true,
      variants: { on: true, off: false },
      offVariant: "off",
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
      fallthrough: {
        split: [
          { variant: "on", weight: 10 },
          { variant: "off", weight: 90 },
        ],
      },
    },
    {
      key: "search-ranker",
      kind: "experiment",
      enabled: true,
      bucketBy: "accountId",
      variants: { control: "bm25", candidate: "learned-v3" },
      offVariant: "control",
      fallthrough: {
        split: [
          { variant: "candidate", weight: 25 },
          { variant: "control", weight: 75 },
        ],
      },
    },
  ],
  overrides: [{ flag: "checkout-v2", subject: "u-grace", source: "opt-in" }],
};

const snapshot = compile(ruleset);
const contexts = [
  { id: "u-ada", country: "US", plan: "free" },
  { id: "u-grace", country: "US", plan: "free" },
  { id: "u-1001", country: "NL", plan: "pro" },
  { id: "u-1002", country: "FR", plan: "team", accountId: "acme" },
  { id: "u-1003", country: "US", plan: "free", email: "sam@example.com", accountId: "globex" },
  { country: "US" },
];

console.log("darklaunch core demo — evaluating a sample ruleset\n");
for (const key of snapshot.keys()) {
  const flag = snapshot.flag(key)!;
  const rollout = rolloutOf(flag);
  console.log(
    `${key}: ${rollout ? `${formatPercentage(rollout.percentage)} % rollout` : "split"}; ${routingFormula(flag, rollout?.percentage)}`,
  );
  for (const context of contexts) {
    const r = snapshot.evaluate(key, context);
    const where = r.position === undefined ? "" : ` position ${r.position.toFixed(2)}`;
    const rule = r.ruleId ? ` rule ${r.ruleId}` : "";
    console.log(`  ${JSON.stringify(context).padEnd(78)} → ${String(r.variant).padEnd(9)} ${r.reason}${rule}${where}`);
  }
  console.log();
}
const explanation = snapshot.explain("checkout-v2", { id: "u-1002", country: "FR" }, { percentage: 50 });
console.log(`why u-1002 gets what it gets on checkout-v2:\n  ${explanation.summary}`);
for (const step of explanation.steps) console.log(`  - ${step.step} (${step.outcome}): ${step.detail}`);
console.log("\nThe control plane (darklaunch serve) replaces this demo in issue #3.");
