import { z } from "zod";
import { KeySchema, OVERRIDE_SOURCES, OverrideSchema } from "../flag-schema.js";

/** `{key}/overrides/{subject}` in a path. */
export const OverrideParams = z.strictObject({ key: KeySchema, subject: OverrideSchema.shape.subject });

/** `PUT /flags/{key}/overrides/{subject}`: opt-in, opt-out or a pinned variant. */
export const OverrideRequestSchema = z.strictObject({
  variant: KeySchema.optional(),
  source: z.enum(OVERRIDE_SOURCES, {
    error: (issue) =>
      issue.input === undefined
        ? `is required: one of ${OVERRIDE_SOURCES.join(", ")}`
        : `must be one of ${OVERRIDE_SOURCES.join(", ")}, got ${JSON.stringify(issue.input)}`,
  }),
});
export type OverrideRequest = z.input<typeof OverrideRequestSchema>;

/** An override as the API shows it. */
export const OverrideRecordSchema = z.object({
  flag: z.string(),
  subject: z.string(),
  variant: z.string().nullable(),
  source: z.enum(OVERRIDE_SOURCES),
  createdAt: z.string(),
});
export type OverrideRecord = z.output<typeof OverrideRecordSchema>;

export const OverrideListResponse = z.object({ overrides: z.array(OverrideRecordSchema) });
export type OverrideListResponse = z.output<typeof OverrideListResponse>;
