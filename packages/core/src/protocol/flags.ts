import { z } from "zod";
import { FLAG_KINDS, FlagSchema, IsoDateSchema, KeySchema, PercentageSchema, ServeSchema, SplitEntrySchema } from "../flag-schema.js";

/** `{key}` in a path: a flag, segment or variant key. */
export const KeyParams = z.strictObject({ key: KeySchema });

/** A write's expected version in its body (`If-Match` may carry it instead). */
export const VersionField = z.number().int().min(1);
export const VersionBody = z.strictObject({ version: VersionField.optional() });
/** A delete's expected version, as a query parameter (`?version=3`). */
export const VersionQuery = z.strictObject({ version: z.coerce.number<number>().int().min(1).optional() });

export const FLAG_STATES = ["active", "enabled", "disabled", "archived", "all"] as const;
export type FlagState = (typeof FLAG_STATES)[number];

/** `GET /api/v1/flags`: filter by tag, kind, state (default `active`) and whether past `expiresAt`. */
export const FlagListQuery = z.strictObject({
  tag: z.string().optional(),
  kind: z.enum(FLAG_KINDS).optional(),
  state: z.enum(FLAG_STATES).optional(),
  stale: z.enum(["true", "false"]).optional(),
});
export type FlagListQuery = z.input<typeof FlagListQuery>;

/**
 * A flag as the API returns it: the flag, its lifecycle fields, and its rollout percentage (null
 * when its fallthrough is no single rollout).
 */
export const FlagRecordSchema = FlagSchema.extend({
  archived: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  percentage: z.number().nullable(),
});
export type FlagRecord = z.output<typeof FlagRecordSchema>;

export const FlagListResponse = z.object({ flags: z.array(FlagRecordSchema) });
export type FlagListResponse = z.output<typeof FlagListResponse>;

/**
 * `PATCH /api/v1/flags/{key}`: a partial change. Fields apply in this order: plain fields, rules
 * removed, rules added, then the rollout percentage (of the fallthrough split).
 */
export const FlagPatchSchema = z.strictObject({
  version: VersionField.optional(),
  enabled: z.boolean().optional(),
  percentage: PercentageSchema.optional(),
  /** The variant a `percentage` rolls out (default: the one already rolled out, or the only non-off one). */
  variant: KeySchema.optional(),
  description: z.string().max(4096).optional(),
  owner: z.string().max(256).optional(),
  tags: z.array(z.string().min(1).max(64)).max(100).optional(),
  expiresAt: IsoDateSchema.nullable().optional(),
  /** A rule to append (validated with the whole flag). */
  addRule: z.unknown().optional(),
  /** The id of a rule to remove. */
  removeRule: KeySchema.optional(),
});
export type FlagPatch = z.output<typeof FlagPatchSchema>;
export type FlagPatchInput = z.input<typeof FlagPatchSchema>;

/**
 * `PUT /api/v1/flags/{key}/launch`: roll a release flag out to `percentage` of its subjects (or
 * set its whole `split`), creating it when it does not exist. A percentage changes a two-way split
 * only: a flag whose split serves more than one variant besides its off variant is refused (400,
 * `split`), with its current split in the message; set the whole split with `split` instead. The server decides what a new release flag looks like
 * (variants `{ [variant]: true, off: false }`, bucketed by `id`, salted with its key unless told).
 * Changing `bucketBy` or `salt` of an existing flag reshuffles which subjects are included.
 *
 * @example
 * // PUT /api/v1/flags/checkout-v2/launch { "percentage": 10 }
 * // → 201 { "created": true, "changed": true, "before": null, "flag": { …, "percentage": 10 } }
 */
export const LaunchRequestSchema = z
  .strictObject({
    /** The share of subjects the variant gets (give this or `split`). */
    percentage: PercentageSchema.optional(),
    /** The variant rolled out: for a new flag its one "on" variant (default `on`). */
    variant: KeySchema.optional(),
    /**
     * The whole fallthrough split instead of one percentage, in position order (weights sum to 100),
     * e.g. `[{ variant: "stable", weight: 50 }, { variant: "shadow", weight: 40 }, { variant: "dark", weight: 10 }]`.
     * A new flag gets one string variant per entry (its value is its name) and the first entry as its
     * off variant; an existing flag must already have every variant named.
     */
    split: z.array(SplitEntrySchema).min(1).max(100).optional(),
    bucketBy: z.string().min(1).max(256).optional(),
    salt: z.string().max(256).optional(),
    /** The version the caller last read; a flag changed since is a 409. Absent: whatever is current. */
    version: VersionField.optional(),
  })
  .superRefine((launch, ctx) => {
    if ((launch.percentage === undefined) === (launch.split === undefined)) {
      ctx.addIssue({ code: "custom", path: ["percentage"], message: "give exactly one of percentage or split" });
      return;
    }
    if (launch.split === undefined) return;
    if (launch.variant !== undefined)
      ctx.addIssue({ code: "custom", path: ["variant"], message: "goes with percentage, not with split (the split names its variants)" });
    // The same rules as a flag's own split (sum of 100, no variant twice), reported under `split`.
    for (const issue of ServeSchema.safeParse({ split: launch.split }).error?.issues ?? []) {
      ctx.addIssue({ code: "custom", path: issue.path as (string | number)[], message: issue.message });
    }
  });
export type LaunchRequest = z.input<typeof LaunchRequestSchema>;

export const LaunchResponseSchema = z.object({
  /** True when the flag did not exist and was created. */
  created: z.boolean(),
  /** False when the flag was already launched exactly so: nothing was written. */
  changed: z.boolean(),
  /** The flag before the launch, null when it was created. */
  before: FlagRecordSchema.nullable(),
  flag: FlagRecordSchema,
});
export type LaunchResponse = z.output<typeof LaunchResponseSchema>;
