import { KeySchema, OBSERVATION_SOURCES, ObservationBatchSchema, parseObservationBatch } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { parse } from "../http.js";
import { durationMs, TimeParam } from "../query-params.js";
import { DEFAULT_SAMPLE_LIMIT, MAX_SAMPLE_LIMIT, type PeriodQuery } from "./observation-service.js";

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** A time series step: a duration of whole minutes, at least one (`1m`, `5m`, `1h`, `1d`). */
const StepParam = z.string().transform((text, ctx) => {
  const ms = durationMs(text);
  if (ms === undefined || ms < MINUTE_MS || ms % MINUTE_MS !== 0) {
    ctx.addIssue({
      code: "custom",
      message: `must be a duration of whole minutes, at least 1m (1m, 5m, 1h, 1d); got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
  return { text, ms };
});

const PeriodFilters = {
  since: TimeParam.optional(),
  until: TimeParam.optional(),
  source: z.enum(OBSERVATION_SOURCES, { error: `must be one of ${OBSERVATION_SOURCES.join(", ")}` }).optional(),
  route: z.string().min(1).max(256).optional(),
};

const SeriesQuery = z.strictObject({ ...PeriodFilters, step: StepParam.default({ text: "1m", ms: MINUTE_MS }) });
const MismatchQuery = z.strictObject({
  ...PeriodFilters,
  limit: z.coerce.number().int().min(1).max(MAX_SAMPLE_LIMIT).default(DEFAULT_SAMPLE_LIMIT),
});

const FlagParams = z.strictObject({ key: KeySchema });

const PERIOD_DOC = {
  since: { type: "string", description: "ISO 8601 date-time or a duration ago (1h, 7d); default: an hour before until" },
  until: { type: "string", description: "ISO 8601 date-time or a duration ago; default: now" },
  source: { type: "string", enum: [...OBSERVATION_SOURCES] },
  route: { type: "string", maxLength: 256 },
};

/** Query strings as the API docs show them (the handlers validate with the zod schemas above). */
const QUERY_DOC = {
  series: {
    type: "object",
    properties: { ...PERIOD_DOC, step: { type: "string", default: "1m", description: "whole minutes, ≥ 1m, ≤ 1000 steps per answer" } },
  },
  mismatches: {
    type: "object",
    properties: { ...PERIOD_DOC, limit: { type: "integer", minimum: 1, maximum: MAX_SAMPLE_LIMIT, default: DEFAULT_SAMPLE_LIMIT } },
  },
};

/** The period of a read: `until` defaults to now, `since` to an hour before `until`. */
function period(query: { since?: string | undefined; until?: string | undefined }): { since: string; until: string } {
  const until = query.until ?? new Date().toISOString();
  return { since: query.since ?? new Date(Date.parse(until) - HOUR_MS).toISOString(), until };
}

/**
 * Dark-launch observations (DESIGN §4): proxies, SDK experiments and services post windows per
 * flag, source, route and minute; people read them back as a time series (dark vs baseline) and as
 * the fields that differed, with samples.
 */
export function observationRoutes(app: FastifyInstance, { observations: service }: ServerContext): void {
  const tags = ["observations"];

  app.post(
    "/api/v1/observations",
    {
      config: { scope: "sdk" },
      schema: {
        tags,
        summary: "Report observation windows (per flag, source, route, minute); each merges into the stored window, all in one transaction",
        body: z.toJSONSchema(ObservationBatchSchema, { io: "input", unrepresentable: "any" }),
      },
    },
    async (request, reply) => {
      const batch = parseObservationBatch(request.body);
      const result = await service.record(batch);
      return reply.code(202).send(result);
    },
  );

  app.get(
    "/api/v1/flags/:key/observations",
    {
      config: { scope: "read" },
      schema: {
        tags: ["flags", ...tags],
        summary:
          "A flag's observations as a time series (since/until as ISO or 1h/7d, step ≥ 1m): rates, errors, p50/p95/p99 per side, divergence",
        params: z.toJSONSchema(FlagParams, { io: "input", unrepresentable: "any" }),
        querystring: QUERY_DOC.series,
      },
    },
    async (request) => {
      const { key } = parse(FlagParams, request.params, "path");
      const query = parse(SeriesQuery, request.query, "query");
      const filter: PeriodQuery = { ...period(query), source: query.source, route: query.route };
      return service.series(key, { ...filter, step: query.step.text, stepMs: query.step.ms });
    },
  );

  app.get(
    "/api/v1/flags/:key/mismatches",
    {
      config: { scope: "read" },
      schema: {
        tags: ["flags", ...tags],
        summary: "Which fields differed dark vs baseline over a period (Diffy's noise rule), with the newest mismatch samples",
        params: z.toJSONSchema(FlagParams, { io: "input", unrepresentable: "any" }),
        querystring: QUERY_DOC.mismatches,
      },
    },
    async (request) => {
      const { key } = parse(FlagParams, request.params, "path");
      const query = parse(MismatchQuery, request.query, "query");
      return service.mismatches(key, { ...period(query), source: query.source, route: query.route, limit: query.limit });
    },
  );
}
