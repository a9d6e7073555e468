import { CheckRequestSchema, CheckResponseSchema, KeyParams, rolloutOf } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { badFields } from "../errors.js";
import { parse } from "../http.js";
import { contextProblems, subjectProblems } from "../limits.js";
import { parameters, requestBody, response } from "../openapi.js";

/**
 * The seed's policy-check, explained: for each subject, which step decides, its position, and the
 * verdict at the current (and a what-if) percentage. Nothing is evaluated for real or recorded.
 */
export function checkRoutes(app: FastifyInstance, { rulesets, flags }: ServerContext): void {
  app.post(
    "/api/v1/flags/:key/check",
    {
      config: { scope: "read", rateClass: "evaluation" },
      schema: {
        tags: ["flags"],
        summary: "Explain the verdict for up to 10 000 subjects (what-if percentage optional)",
        params: parameters(KeyParams),
        body: requestBody(CheckRequestSchema, "CheckRequest"),
        response: response(
          { 200: [CheckResponseSchema, "CheckResponse", "Each subject's verdict, position and deciding step"] },
          [400, 404, 409],
        ),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const body = parse(CheckRequestSchema, request.body, "check");
      const tooLong = [
        ...subjectProblems(body.id === undefined ? [] : [body.id], ["id"]),
        ...subjectProblems(body.ids ?? [], ["ids"]),
        ...contextProblems(body.context, ["context"]),
      ];
      if (tooLong.length > 0) throw badFields(tooLong, "check");
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
