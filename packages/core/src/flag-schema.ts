import { z } from "zod";
import { ConditionSchema } from "./condition-schema.js";
import { parseIsoDate } from "./dates.js";
import { isValidPercentage, POSITION_SCALE, toHundredths } from "./position.js";

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Flag, segment, variant and rule names: letters, digits, `.`, `_`, `-`; at most 128 characters. */
export const KeySchema = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(SLUG, "must start with a letter or digit and hold only letters, digits, '.', '_' and '-'");

export const IsoDateSchema = z.string().refine((text) => !Number.isNaN(parseIsoDate(text)), {
  error: (issue) => `not an ISO 8601 date with a zone (e.g. 2026-12-01T08:00:00Z or 2027-01-31): ${JSON.stringify(issue.input)}`,
});

export const PercentageSchema = z
  .number({ error: "must be a number" })
  .refine(isValidPercentage, { error: (issue) => `must be from 0 to 100 with at most two decimals, got ${issue.input}` });

const JsonSchema = z.json();

/** A variant's value: boolean, string, number, or a JSON object or array (never null). */
export const VariantValueSchema = z.union([z.boolean(), z.string(), z.number(), z.array(JsonSchema), z.record(z.string(), JsonSchema)], {
  error: "a variant value is a boolean, string, number, JSON object or JSON array (not null)",
});

export type VariantValue = z.output<typeof VariantValueSchema>;

export const SplitEntrySchema = z.strictObject({ variant: KeySchema, weight: PercentageSchema });

/**
 * What a rule or the fallthrough serves: one variant, or a split whose weights (percent, two
 * decimals) sum to exactly 100. Positions fill the split in order: the first variant owns [0, w1).
 */
export const ServeSchema = z
  .strictObject({
    variant: KeySchema.optional(),
    split: z.array(SplitEntrySchema).min(1, "a split needs at least one variant").optional(),
  })
  .superRefine((serve, ctx) => {
    if ((serve.variant === undefined) === (serve.split === undefined)) {
      ctx.addIssue({ code: "custom", message: "serve exactly one of { variant } or { split }" });
      return;
    }
    if (serve.split === undefined) return;
    // Sum in integer hundredths: 33.33 + 33.33 + 33.34 is 100 exactly, which floating point misses.
    const total = serve.split.reduce((sum, entry) => sum + toHundredths(entry.weight), 0);
    // A weight that is no percentage is reported on its own; a sum of its rounding would mislead.
    if (total !== POSITION_SCALE && serve.split.every((entry) => isValidPercentage(entry.weight))) {
      ctx.addIssue({ code: "custom", path: ["split"], message: `weights sum to ${total / 100}, not 100` });
    }
    const seen = new Set<string>();
    serve.split.forEach((entry, i) => {
      if (seen.has(entry.variant)) {
        ctx.addIssue({
          code: "custom",
          path: ["split", i, "variant"],
          message: `variant "${entry.variant}" appears twice in the split`,
        });
      }
      seen.add(entry.variant);
    });
  });

export type Serve = z.output<typeof ServeSchema>;

export const RuleSchema = z.strictObject({
  id: KeySchema,
  description: z.string().max(1024).optional(),
  conditions: z.array(ConditionSchema).max(100, "a rule has at most 100 conditions"),
  serve: ServeSchema,
});

export type Rule = z.output<typeof RuleSchema>;

export const ScheduleSchema = z
  .strictObject({ start: IsoDateSchema.optional(), end: IsoDateSchema.optional() })
  .superRefine((schedule, ctx) => {
    if (schedule.start === undefined && schedule.end === undefined) {
      ctx.addIssue({ code: "custom", message: "a schedule needs a start, an end or both" });
    } else if (schedule.start !== undefined && schedule.end !== undefined && parseIsoDate(schedule.start) >= parseIsoDate(schedule.end)) {
      ctx.addIssue({ code: "custom", path: ["end"], message: "end must be after start" });
    }
  });

export const PrerequisiteSchema = z.strictObject({ flag: KeySchema, variant: KeySchema });

export const FLAG_KINDS = ["release", "ops", "experiment", "permission"] as const;

export const FlagSchema = z.strictObject({
  key: KeySchema,
  description: z.string().max(4096).default(""),
  owner: z.string().max(256).default(""),
  kind: z
    .enum(FLAG_KINDS, { error: (i) => `kind must be one of ${FLAG_KINDS.join(", ")}, got ${JSON.stringify(i.input)}` })
    .default("release"),
  variants: z.record(KeySchema, VariantValueSchema),
  offVariant: KeySchema,
  enabled: z.boolean().default(false),
  rules: z.array(RuleSchema).max(1000, "a flag has at most 1000 rules").default([]),
  fallthrough: ServeSchema,
  schedule: ScheduleSchema.optional(),
  prerequisites: z.array(PrerequisiteSchema).max(100).default([]),
  salt: z.string().max(256).optional(),
  bucketBy: z.string().min(1).max(256).default("id"),
  expiresAt: IsoDateSchema.optional(),
  tags: z.array(z.string().min(1).max(64)).max(100).default([]),
  version: z.number().int().min(1, "version starts at 1").default(1),
});

/** A flag as stored, served in snapshots and exported (docs/architecture.md#the-flag-and-its-serves). */
export type Flag = z.output<typeof FlagSchema>;
/** A flag as a user writes it: fields with defaults may be left out. */
export type FlagInput = z.input<typeof FlagSchema>;

export const SegmentSchema = z
  .strictObject({
    key: KeySchema,
    description: z.string().max(4096).default(""),
    ids: z.array(z.string().min(1, "ids must not be empty strings").max(1024)).default([]),
    conditions: z.array(ConditionSchema).max(100).default([]),
    version: z.number().int().min(1).default(1),
  })
  .superRefine((segment, ctx) => {
    segment.conditions.forEach((condition, i) => {
      if (condition.op === "inSegment") {
        ctx.addIssue({ code: "custom", path: ["conditions", i, "op"], message: "a segment cannot test other segments" });
      }
    });
  });

/** A reusable group: an id list (matched against the flag's subject) plus conditions. */
export type Segment = z.output<typeof SegmentSchema>;
export type SegmentInput = z.input<typeof SegmentSchema>;

export const OVERRIDE_SOURCES = ["opt-in", "opt-out", "pinned"] as const;

export const OverrideSchema = z.strictObject({
  flag: KeySchema,
  subject: z.string().min(1, "must not be empty").max(1024),
  variant: KeySchema.optional(),
  source: z
    .enum(OVERRIDE_SOURCES, { error: (i) => `source must be one of ${OVERRIDE_SOURCES.join(", ")}, got ${JSON.stringify(i.input)}` })
    .default("pinned"),
});

/**
 * A per-subject decision that beats rules: a self-selected opt-in, an opt-out, or a pinned variant.
 * Opt-in without a variant means the flag's one variant that is not the off variant; opt-out
 * without a variant means the off variant.
 */
export type Override = z.output<typeof OverrideSchema>;
export type OverrideInput = z.input<typeof OverrideSchema>;

/** Everything evaluation needs: flags, the segments they test and the per-subject overrides. */
export interface Ruleset {
  flags: Flag[];
  segments: Segment[];
  overrides: Override[];
}

export interface RulesetInput {
  flags?: FlagInput[];
  segments?: SegmentInput[];
  overrides?: OverrideInput[];
}
