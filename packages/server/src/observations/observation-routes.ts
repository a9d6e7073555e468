import {
  KeyParams,
  MismatchQuery,
  MismatchReportSchema,
  ObservationBatchSchema,
  ObservationRecordResultSchema,
  ObservationSeriesQuery,
  ObservationSeriesSchema,
  parseObservationBatch,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { parse } from "../http.js";
import { listEtag, NOT_MODIFIED } from "../list-etag.js";
import { parameters, requestBody, response } from "../openapi.js";
import type { PeriodQuery } from "./observation-service.js";

const HOUR_MS = 3_600_000;
/** The period of a read: `until` defaults to now, `since` to an hour before `until`. */
function period(query: { since?: string | undefined; until?: string | undefined }): { since: string; until: string } {
  const until = query.until ?? new Date().toISOString();
  return { since: query.since ?? new Date(Date.parse(until) - HOUR_MS).toISOString(), until };
}

/**
 * Dark-launch observations (docs/architecture.md#dark-paths-and-observations): proxies, SDK experiments and services post windows per
 * flag, source, route and minute; people read them back as a time series (dark vs baseline) and as
 * the fields that differed, with samples.
 */
export function observationRoutes(app: FastifyInstance, { observations: service }: ServerContext): void {
  const tags = ["observations"];

  app.post(
    "/api/v1/observations",
    {
      config: { scope: "sdk", rateClass: "ingest" },
      schema: {
        tags,
        summary: "Report observation windows (per flag, source, route, minute); each merges into the stored window, all in one transaction",
        body: requestBody(ObservationBatchSchema, "ObservationBatch"),
        response: response(
          { 202: [ObservationRecordResultSchema, "ObservationRecordResult", "Windows stored, and those skipped with why"] },
          [400],
        ),
      },
    },
    async (request, reply) => {
      const batch = parseObservationBatch(request.body, { minuteMs: service.minuteMs });
      const result = await service.record(batch);
      return reply.code(202).send(result);
    },
  );

  app.get(
    "/api/v1/flags/:key/observations",
    {
      config: { scope: "read" },
      onSend: listEtag,
      schema: {
        tags: ["flags", ...tags],
        summary:
          "A flag's observations as a time series (since/until as ISO or 1h/7d, step ≥ 1m): rates, errors, p50/p95/p99 per side, divergence",
        params: parameters(KeyParams),
        querystring: parameters(ObservationSeriesQuery),
        response: response(
          { 200: [ObservationSeriesSchema, "ObservationSeries", "Dark vs baseline per step, and totals"], 304: NOT_MODIFIED },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const query = parse(ObservationSeriesQuery, request.query, "query");
      const filter: PeriodQuery = { ...period(query), source: query.source, route: query.route };
      return service.series(key, { ...filter, step: query.step.text, stepMs: query.step.ms });
    },
  );

  app.get(
    "/api/v1/flags/:key/mismatches",
    {
      config: { scope: "read" },
      onSend: listEtag,
      schema: {
        tags: ["flags", ...tags],
        summary: "Which fields differed dark vs baseline over a period (Diffy's noise rule), with the newest mismatch samples",
        params: parameters(KeyParams),
        querystring: parameters(MismatchQuery),
        response: response(
          {
            200: [MismatchReportSchema, "MismatchReport", "Fields that differed, judged with the noise rule, and the newest samples"],
            304: NOT_MODIFIED,
          },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const query = parse(MismatchQuery, request.query, "query");
      return service.mismatches(key, { ...period(query), source: query.source, route: query.route, limit: query.limit });
    },
  );
}
