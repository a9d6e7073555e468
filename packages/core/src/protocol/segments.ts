import { z } from "zod";
import { ConditionSchema } from "../condition-schema.js";
import { VersionField } from "./flags.js";
import { DEFAULT_IDS_PAGE, MAX_IDS_PAGE, MAX_IDS_PER_CALL } from "./limits.js";

/** A segment as the API shows it: its id list is only counted here and paged through separately. */
export const SegmentRecordSchema = z.object({
  key: z.string(),
  description: z.string(),
  conditions: z.array(ConditionSchema),
  version: z.number().int(),
  idCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SegmentRecord = z.output<typeof SegmentRecordSchema>;

export const SegmentListResponse = z.object({ segments: z.array(SegmentRecordSchema) });
export type SegmentListResponse = z.output<typeof SegmentListResponse>;

/** `GET /segments/{key}/ids`: `cursor` is the last id of the page before. */
export const SegmentIdsQuery = z.strictObject({
  cursor: z.string().optional(),
  limit: z.coerce.number<number>().int().min(1).max(MAX_IDS_PAGE).default(DEFAULT_IDS_PAGE),
});

export const SegmentIdsPageSchema = z.object({ ids: z.array(z.string()), nextCursor: z.string().nullable() });
export type SegmentIdsPage = z.output<typeof SegmentIdsPageSchema>;

const Subject = z.string().min(1, "ids must not be empty strings").max(1024);

/** `POST /segments/{key}/ids`: ids to add and remove, at most `MAX_IDS_PER_CALL` together. */
export const SegmentIdsChangeSchema = z
  .strictObject({
    add: z.array(Subject).max(MAX_IDS_PER_CALL).default([]),
    remove: z.array(Subject).max(MAX_IDS_PER_CALL).default([]),
    version: VersionField.optional(),
  })
  .superRefine((body, ctx) => {
    const total = body.add.length + body.remove.length;
    if (total === 0) ctx.addIssue({ code: "custom", path: ["add"], message: "send ids to add or remove" });
    if (total > MAX_IDS_PER_CALL) {
      ctx.addIssue({
        code: "custom",
        path: ["add"],
        message: `add and remove hold ${total} ids together; at most ${MAX_IDS_PER_CALL} per call`,
      });
    }
    // An id in both lists has no clear meaning; name the first few rather than pick one silently.
    const adding = new Set(body.add);
    let reported = 0;
    for (let i = 0; i < body.remove.length && reported < 10; i++) {
      if (adding.has(body.remove[i] as string)) {
        ctx.addIssue({ code: "custom", path: ["remove", i], message: `"${body.remove[i]}" is also in add` });
        reported++;
      }
    }
  });
export type SegmentIdsChange = z.input<typeof SegmentIdsChangeSchema>;

export const SegmentIdsChangedSchema = z.object({
  added: z.number().int(),
  removed: z.number().int(),
  idCount: z.number().int(),
  version: z.number().int(),
});
export type SegmentIdsChanged = z.output<typeof SegmentIdsChangedSchema>;
