import { z } from "zod";

/** OFREP's error codes (open-feature/protocol `service/openapi.yaml`). */
export const OFREP_ERROR_CODES = ["PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL", "FLAG_NOT_FOUND"] as const;
export type OfrepErrorCode = (typeof OFREP_ERROR_CODES)[number];

/** An OFREP evaluation request: `{ context: { targetingKey, …attributes } }`. */
export const OfrepRequestSchema = z.object({
  context: z.record(z.string(), z.unknown()).optional(),
});
export type OfrepRequest = z.input<typeof OfrepRequestSchema>;

/** A flag evaluated: `evaluationSuccess`. `metadata` holds only primitives, as the spec requires. */
export const OfrepSuccessSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  reason: z.string(),
  variant: z.string().optional(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type OfrepSuccess = z.output<typeof OfrepSuccessSchema>;

/** A flag that could not be evaluated: `evaluationFailure` / `flagNotFound`. */
export const OfrepFailureSchema = z.object({
  key: z.string(),
  errorCode: z.enum(OFREP_ERROR_CODES),
  errorDetails: z.string().optional(),
});
export type OfrepFailure = z.output<typeof OfrepFailureSchema>;

export const OfrepBulkResponseSchema = z.object({ flags: z.array(z.union([OfrepSuccessSchema, OfrepFailureSchema])) });
export type OfrepBulkResponse = z.output<typeof OfrepBulkResponseSchema>;

/** A failure of the whole request (`generalErrorResponse`): bad JSON, a context that is no object. */
export const OfrepErrorSchema = z.object({
  key: z.string().optional(),
  errorCode: z.enum(OFREP_ERROR_CODES).optional(),
  errorDetails: z.string(),
});
export type OfrepError = z.output<typeof OfrepErrorSchema>;
