import { z } from "zod";

/** One thing wrong with a request, at a path such as `rules[2].conditions[0].op`. */
export const ProblemSchema = z.object({ path: z.string(), message: z.string() });

/**
 * Every error the control plane answers: a stable string `code` a program can branch on, a
 * message a person can act on, and details (for `VALIDATION_FAILED`, every bad field with its path).
 *
 * @example
 * // 400 { "code": "VALIDATION_FAILED", "message": "patch of flag \"x\" is invalid: percentage: …",
 * //       "details": [{ "path": "percentage", "message": "must be from 0 to 100 …" }] }
 */
export const ErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorBody = z.output<typeof ErrorBodySchema>;
