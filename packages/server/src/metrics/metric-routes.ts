import {
  EventBatchSchema,
  EventRecordResultSchema,
  KeyParams,
  MetricBatchSchema,
  MetricDefinitionSchema,
  MetricListResponse,
  MetricParams,
  MetricRecordResultSchema,
  MetricRequestSchema,
  parseMetricBatch,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";
import { parameters, requestBody, response } from "../openapi.js";

/**
 * Business metrics (docs/architecture.md#business-metrics): definitions per flag, the windows SDKs
 * report, and events from services in other languages, attributed here.
 */
export function metricRoutes(app: FastifyInstance, { metrics }: ServerContext): void {
  const tags = ["metrics"];

  app.get(
    "/api/v1/flags/:key/metrics",
    {
      config: { scope: "read" },
      schema: {
        tags: ["flags", ...tags],
        summary: "List a flag's business metrics",
        params: parameters(KeyParams),
        response: response({ 200: [MetricListResponse, "MetricList", "The flag's metrics"] }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      return { metrics: await metrics.list(key) };
    },
  );

  const metricAnswer = [MetricDefinitionSchema, "MetricDefinition", "The metric as stored"] as const;
  app.post(
    "/api/v1/flags/:key/metrics",
    {
      config: { scope: "write" },
      schema: {
        tags: ["flags", ...tags],
        summary:
          "Add or replace a business metric of a flag (conversion, events per exposed subject, or Σ value per exposed subject); audited",
        params: parameters(KeyParams),
        body: requestBody(MetricRequestSchema, "MetricRequest"),
        response: response({ 200: metricAnswer, 201: metricAnswer }, [400, 404]),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      const body = parse(MetricRequestSchema, request.body, "request");
      const { metric, created } = await metrics.put(key, body, actorOf(request));
      return reply.code(created ? 201 : 200).send(metric);
    },
  );

  app.delete(
    "/api/v1/flags/:key/metrics/:metric",
    {
      config: { scope: "write" },
      schema: {
        tags: ["flags", ...tags],
        summary: "Remove a business metric of a flag (its stored windows expire with retention); audited",
        params: parameters(MetricParams),
        response: response({ 204: "Removed" }, [400, 404]),
      },
    },
    async (request, reply) => {
      const { key, metric } = parse(MetricParams, request.params, "path");
      await metrics.remove(key, metric, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    "/api/v1/sdk/metrics",
    {
      config: { scope: "sdk" },
      schema: {
        tags: ["sdk", ...tags],
        summary: "Every flag's business metrics: what an SDK needs to attribute tracked events",
        response: response({ 200: [MetricListResponse, "MetricList", "All metrics"] }),
      },
    },
    async () => ({ metrics: await metrics.all() }),
  );

  app.post(
    "/api/v1/sdk/metrics",
    {
      config: { scope: "sdk", rateClass: "ingest" },
      schema: {
        tags: ["sdk", ...tags],
        summary: "Report business-metric and exposure windows (per flag, metric, variant, minute); each merges into the stored window",
        body: requestBody(MetricBatchSchema, "MetricBatch"),
        response: response({ 202: [MetricRecordResultSchema, "MetricRecordResult", "Windows stored, and flags skipped"] }, [400]),
      },
    },
    async (request, reply) => reply.code(202).send(await metrics.record(parseMetricBatch(request.body, { minuteMs: metrics.minuteMs }))),
  );

  app.post(
    "/api/v1/events",
    {
      config: { scope: "sdk", rateClass: "ingest" },
      schema: {
        tags,
        summary:
          "Track events (and exposures) from services without an SDK: each is attributed to the variant its context gets, by the same bucketing",
        body: requestBody(EventBatchSchema, "EventBatch"),
        response: response({ 202: [EventRecordResultSchema, "EventRecordResult", "Events received and attributed"] }, [400]),
      },
    },
    async (request, reply) => reply.code(202).send(await metrics.track(parse(EventBatchSchema, request.body, "event batch"))),
  );
}
