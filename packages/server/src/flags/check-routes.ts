import { KeySchema, PercentageSchema, rolloutOf } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { parse } from "../http.js";

/** Subjects one check may ask about. */
export const MAX_CHECK_SUBJECTS = 10_000;

const CheckBody = z
  .strictObject({
    id: z.string().min(1).optional(),
    ids: z
      .array(z.string().min(1, "ids must not be empty strings"))
      .max(MAX_CHECK_SUBJECTS, `at most ${MAX_CHECK_SUBJECTS} ids per check`)
      .optional(),
    /** Attributes added to every subject's context (country, plan …), for rules that test them. */
    context: z.record(z.string(), z.unknown()).optional(),
    /** What-if: the verdict if the rollout were at this percentage. */
    percentage: PercentageSchema.optional(),
  })
  .refine((body) => body.id !== undefined || (body.ids !== undefined && body.ids.length > 0), {
    message: "send `id` or a non-empty `ids`",
  });

/**
 * The seed's policy-check, explained: for each subject, which step decides, its position, and the
 * verdict at the current (and a what-if) percentage. Nothing is evaluated for real or recorded.
 */
export function checkRoutes(app: FastifyInstance, { rulesets, flags }: ServerContext): void {
  app.post(
    "/api/v1/flags/:key/check",
    {
      config: { scope: "read" },
      schema: { tags: ["flags"], summary: "Explain the verdict for up to 10 000 subjects (what-if percentage optional)" },
    },
    async (request) => {
      const { key } = parse(z.strictObject({ key: KeySchema }), request.params, "path");
      const body = parse(CheckBody, request.body, "check");
      const { snapshot, revision } = await rulesets.get();
      const flag = await flags.active(snapshot, key, "check subjects");
      const ids = body.ids ?? [];
      if (body.id !== undefined) ids.unshift(body.id);
      const results = ids.map((subject) => {
        const explanation = snapshot.explain(key, { ...body.context, [flag.bucketBy]: subject }, { percentage: body.percentage });
        const { result } = explanation;
        return {
          subject,
          variant: result.variant ?? null,
          value: result.value ?? null,
          included: result.included,
          verdict: result.included ? "include" : "exclude",
          reason: result.reason,
          ruleId: result.ruleId ?? null,
          position: explanation.position ?? null,
          includedFrom: explanation.rollout?.includedFrom ?? null,
          whatIf: explanation.whatIf ?? null,
          summary: explanation.summary,
          steps: explanation.steps,
        };
      });
      return {
        flagKey: key,
        flagVersion: flag.version,
        revision,
        bucketBy: flag.bucketBy,
        salt: flag.salt ?? flag.key,
        percentage: rolloutOf(flag)?.percentage ?? null,
        whatIfPercentage: body.percentage ?? null,
        included: results.filter((r) => r.included).length,
        results,
      };
    },
  );
}
