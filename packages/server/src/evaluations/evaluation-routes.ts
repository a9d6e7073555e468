import {
  EvaluateRequestSchema,
  EvaluateResponseSchema,
  EvaluationListQuery,
  EvaluationPageSchema,
  EvaluationStatsQuery,
  EvaluationStatsSchema,
  KeyParams,
  subjectText,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { badField, badFields } from "../errors.js";
import { parse } from "../http.js";
import { contextProblems } from "../limits.js";
import { parameters, requestBody, response } from "../openapi.js";

/**
 * Evaluations: evaluate a flag for a caller (and record it), and read the log the seed called
 * `policy_evaluations` — listed with filters and paging, or counted over a period.
 */
export function evaluationRoutes(app: FastifyInstance, { rulesets, flags, evaluations }: ServerContext): void {
  const tags = ["evaluations"];

  app.post(
    "/api/v1/flags/:key/evaluate",
    {
      config: { scope: "read", rateClass: "evaluation" },
      schema: {
        tags: ["flags", ...tags],
        summary: "Evaluate a flag for a context and record it in the evaluations log",
        params: parameters(KeyParams),
        body: requestBody(EvaluateRequestSchema, "EvaluateRequest"),
        response: response({ 200: [EvaluateResponseSchema, "EvaluateResponse", "The result, as recorded"] }, [400, 404, 409]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { context } = parse(EvaluateRequestSchema, request.body, "evaluation");
      const tooLong = contextProblems(context, ["context"]);
      if (tooLong.length > 0) throw badFields(tooLong, "evaluation");
      const { snapshot } = await rulesets.get();
      const flag = await flags.active(snapshot, key, "evaluate it");
      const result = snapshot.evaluate(key, context);
      const at = new Date().toISOString();
      const subject = subjectText(context, flag.bucketBy) ?? null;
      const verdict = result.included ? "include" : "exclude";
      await evaluations.record([
        {
          at,
          flag: key,
          flagVersion: result.flagVersion ?? flag.version,
          subject,
          variant: result.variant ?? null,
          verdict,
          reason: result.reason,
          position: result.position ?? null,
          source: "server",
        },
      ]);
      return {
        flagKey: key,
        flagVersion: result.flagVersion ?? flag.version,
        subject,
        variant: result.variant ?? null,
        value: result.value ?? null,
        included: result.included,
        verdict,
        reason: result.reason,
        ruleId: result.ruleId ?? null,
        position: result.position ?? null,
        errorCode: result.errorCode ?? null,
        errorMessage: result.errorMessage ?? null,
        at,
      };
    },
  );

  app.get(
    "/api/v1/evaluations",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List recorded evaluations, newest first (filter by flag, verdict, reason, subject, since/until; page with before)",
        querystring: parameters(EvaluationListQuery),
        response: response(
          { 200: [EvaluationPageSchema, "EvaluationPage", "Evaluations newest first; nextBefore fetches the next page"] },
          [400],
        ),
      },
    },
    async (request) => {
      return evaluations.list(parse(EvaluationListQuery, request.query, "query"));
    },
  );

  app.get(
    "/api/v1/evaluations/stats",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "Count evaluations over a period (default 1d) by verdict, reason, variant and flag",
        querystring: parameters(EvaluationStatsQuery),
        response: response({ 200: [EvaluationStatsSchema, "EvaluationStats", "The counts over the period"] }, [400]),
      },
    },
    async (request) => {
      const query = parse(EvaluationStatsQuery, request.query, "query");
      if (query.period !== undefined && query.since !== undefined) {
        throw badField("period", "give either period or since, not both", "query");
      }
      const until = query.until ?? new Date().toISOString();
      const since = query.since ?? new Date(Date.parse(until) - (query.period ?? 86_400_000)).toISOString();
      if (since > until) throw badField("since", `must not be later than until (${until})`, "query");
      const { period: _period, ...filter } = query;
      return evaluations.stats({ ...filter, since, until });
    },
  );
}
