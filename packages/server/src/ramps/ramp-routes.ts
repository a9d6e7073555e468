import {
  AnalysisResponseSchema,
  KeyParams,
  RampControlParams,
  RampControlRequestSchema,
  RampListResponse,
  RampResponseSchema,
  RampStartRequestSchema,
  RampVerdictListResponse,
  VerdictGateQuery,
  VerdictQuery,
  VerdictResponseSchema,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { DarkLaunchError } from "../errors.js";
import { actorOf, parse } from "../http.js";
import { listEtag, NOT_MODIFIED } from "../list-etag.js";
import { parameters, requestBody, response } from "../openapi.js";
import { prometheusText } from "./prometheus.js";

const VerdictListQuery = z.strictObject({ limit: z.coerce.number<number>().int().min(1).max(1000).default(100) });

/**
 * Ramps (start, read, the manual controls), the judge's verdict and analysis series of any flag,
 * and the Prometheus exposition of verdicts.
 */
export function rampRoutes(app: FastifyInstance, { ramps }: ServerContext): void {
  const tags = ["ramps"];

  app.post(
    "/api/v1/flags/:key/ramp",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Start a ramp on a flag at its plan's first step; 409 when one is running or paused",
        params: parameters(KeyParams),
        body: requestBody(RampStartRequestSchema, "RampStartRequest"),
        response: response({ 201: [RampResponseSchema, "RampResponse", "The ramp, started"] }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const { key } = parse(KeyParams, request.params, "path");
      reply.code(201);
      return { ramp: await ramps.start(key, request.body, actorOf(request)) };
    },
  );

  app.get(
    "/api/v1/flags/:key/ramp",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "The flag's active ramp (else its latest): plan, state, history, the replica running it",
        params: parameters(KeyParams),
        response: response({ 200: [RampResponseSchema, "RampResponse", "The ramp"] }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      return { ramp: await ramps.get(key) };
    },
  );

  app.get(
    "/api/v1/flags/:key/ramp/verdicts",
    {
      config: { scope: "read" },
      onSend: listEtag,
      schema: {
        tags,
        summary: "The verdicts the flag's ramp acted on, newest first, each with its numbers and why",
        params: parameters(KeyParams),
        querystring: parameters(VerdictListQuery),
        response: response(
          { 200: [RampVerdictListResponse, "RampVerdictList", "Stored verdicts, newest first"], 304: NOT_MODIFIED },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { limit } = parse(VerdictListQuery, request.query, "query");
      return { verdicts: await ramps.verdicts(key, limit) };
    },
  );

  app.post(
    "/api/v1/flags/:key/ramp/:action",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary:
          "pause | resume (the step starts over) | abort (flag to 0 unless keepFlag) | promote (the next step now) | dismiss (the last verdict, with a reason)",
        params: parameters(RampControlParams),
        body: requestBody(RampControlRequestSchema, "RampControlRequest"),
        response: response({ 200: [RampResponseSchema, "RampResponse", "The ramp after the action"] }, [400, 404, 409]),
      },
    },
    async (request) => {
      const { key, action } = parse(RampControlParams, request.params, "path");
      return { ramp: await ramps.control(key, action, request.body, actorOf(request)) };
    },
  );

  app.get(
    "/api/v1/ramps",
    {
      config: { scope: "read" },
      onSend: listEtag,
      schema: {
        tags,
        summary: "Every ramp, newest first",
        response: response({ 200: [RampListResponse, "RampList", "Ramps, newest first"], 304: NOT_MODIFIED }),
      },
    },
    async () => ({ ramps: await ramps.list() }),
  );

  app.get(
    "/api/v1/flags/:key/verdict",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary:
          "The judge's verdict now: over the ramp's steps for a flag under a ramp, else over the period since `since` (default 1h). Argo Rollouts web metric: jsonPath {$.state} or {$.ok}",
        params: parameters(KeyParams),
        querystring: parameters(VerdictQuery),
        response: response(
          { 200: [VerdictResponseSchema, "Verdict", "State, per-metric numbers, health, evidence needed, why"] },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { since } = parse(VerdictQuery, request.query, "query");
      return ramps.verdict(key, since);
    },
  );

  app.post(
    "/api/v1/flags/:key/verdict/gate",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary:
          "The verdict as a gate (a Flagger webhook): 200 unless REGRESSION or UNHEALTHY (with require=safe: unless anything but SAFE), then 412; any request body is ignored",
        params: parameters(KeyParams),
        querystring: parameters(VerdictGateQuery),
        response: response({ 200: [VerdictResponseSchema, "Verdict", "The gate is open: the verdict"] }, [400, 404, 412]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { since, require } = parse(VerdictGateQuery, request.query, "query");
      const verdict = await ramps.verdict(key, since);
      if (!(require === "safe" ? verdict.state === "SAFE" : verdict.ok)) {
        // An error body like every other refusal; `details` is the whole verdict.
        throw new DarkLaunchError("GATE_CLOSED", 412, `${key}: ${verdict.state}: ${verdict.why}`, verdict);
      }
      return verdict;
    },
  );

  app.get(
    "/api/v1/flags/:key/analysis",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "Per minute, each metric's estimate, anytime-valid band and harm/safe e-values (for charts)",
        params: parameters(KeyParams),
        querystring: parameters(VerdictQuery),
        response: response({ 200: [AnalysisResponseSchema, "Analysis", "The analysis series"] }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const { since } = parse(VerdictQuery, request.query, "query");
      return ramps.analysis(key, since);
    },
  );

  app.get(
    "/metrics",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "Prometheus text: per flag under an active ramp, the verdict state, harm/safe e-values and thresholds per metric",
        response: response({ 200: "Prometheus text exposition format 0.0.4" }),
      },
    },
    async (_request, reply) => {
      reply.type("text/plain; version=0.0.4; charset=utf-8");
      return prometheusText(await ramps.metrics());
    },
  );
}
