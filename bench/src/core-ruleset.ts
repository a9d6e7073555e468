import { type FlagInput, type RulesetInput, seededRandom } from "@darklaunch/core";

/**
 * The ruleset every evaluation benchmark uses (issue #2, and later the SDK peers): 200 flags, each
 * with rule 1 "id in 100 beta ids", rule 2 "country in [NL, DE] and plan = pro", else a 10 % rollout;
 * 100 000 users with countries from 6 values and plans from 3.
 */
export const FLAG_COUNT = 200;
export const USER_COUNT = 100_000;
export const BETA_PER_FLAG = 100;
export const ROLLOUT_PERCENT = 10;
export const COUNTRIES = ["NL", "DE", "US", "FR", "GB", "JP"] as const;
export const PLANS = ["free", "team", "pro"] as const;

export interface BenchUser {
  id: string;
  country: string;
  plan: string;
}

/** Seeded, so every run and every peer sees the same data. */
export const random = seededRandom;

export function makeUsers(count = USER_COUNT): BenchUser[] {
  const next = random(42);
  return Array.from({ length: count }, (_, i) => ({
    id: `user-${i}`,
    country: COUNTRIES[Math.floor(next() * COUNTRIES.length)]!,
    plan: PLANS[Math.floor(next() * PLANS.length)]!,
  }));
}

export interface BenchFlagSpec {
  key: string;
  betaIds: string[];
}

export function makeFlagSpecs(userCount = USER_COUNT): BenchFlagSpec[] {
  const next = random(7);
  return Array.from({ length: FLAG_COUNT }, (_, f) => ({
    key: `flag-${String(f).padStart(3, "0")}`,
    betaIds: Array.from({ length: BETA_PER_FLAG }, () => `user-${Math.floor(next() * userCount)}`),
  }));
}

export function darklaunchRuleset(specs: BenchFlagSpec[]): RulesetInput {
  const flags: FlagInput[] = specs.map((spec) => ({
    key: spec.key,
    enabled: true,
    variants: { on: true, off: false },
    offVariant: "off",
    rules: [
      { id: "beta", conditions: [{ attribute: "id", op: "in", values: spec.betaIds }], serve: { variant: "on" } },
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
        { variant: "on", weight: ROLLOUT_PERCENT },
        { variant: "off", weight: 100 - ROLLOUT_PERCENT },
      ],
    },
  }));
  return { flags };
}

/** A user that no rule matches, so the flag's rollout decides: for checking the ≈ 10 % share. */
export function isPlain(user: BenchUser, spec: BenchFlagSpec, betaSets: Map<string, Set<string>>): boolean {
  if (betaSets.get(spec.key)?.has(user.id)) return false;
  return !((user.country === "NL" || user.country === "DE") && user.plan === "pro");
}
