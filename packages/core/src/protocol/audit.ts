import { z } from "zod";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from "./limits.js";
import { TimeParam } from "./time-params.js";

/** Paging through a log newest first: `before` an id, `limit` rows. */
export const PageParams = {
  before: z.coerce.number<number>().int().min(1).optional(),
  limit: z.coerce.number<number>().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
};

const AuditFilters = {
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  since: TimeParam.optional(),
  until: TimeParam.optional(),
  ...PageParams,
};

/** `GET /api/v1/audit`. */
export const AuditListQuery = z.strictObject({
  targetType: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  ...AuditFilters,
});
export type AuditListQuery = z.input<typeof AuditListQuery>;

/** `GET /api/v1/flags/{key}/audit`. */
export const FlagAuditQuery = z.strictObject(AuditFilters);

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetKey: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditEntry = z.output<typeof AuditEntrySchema>;

/** A page of the audit log; `nextBefore` fetches the next (older) page, null on the last. */
export const AuditPageSchema = z.object({ entries: z.array(AuditEntrySchema), nextBefore: z.number().int().nullable() });
export type AuditPage = z.output<typeof AuditPageSchema>;
