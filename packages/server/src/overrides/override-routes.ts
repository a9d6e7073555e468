import { KeyParams, OverrideListResponse, OverrideParams, OverrideRecordSchema, OverrideRequestSchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";
import { parameters, requestBody, response } from "../openapi.js";

const overrideAnswer = [OverrideRecordSchema, "OverrideRecord", "The override"] as const;

export function overrideRoutes(app: FastifyInstance, { overrides }: ServerContext): void {
  const tags = ["overrides"];

  app.get(
    "/api/v1/flags/:key/overrides",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "List a flag's per-subject overrides",
        params: parameters(KeyParams),
        response: response({ 200: [OverrideListResponse, "OverrideList", "The flag's overrides"] }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      return { overrides: await overrides.list(key) };
    },
  );

  app.put(
    "/api/v1/flags/:key/overrides/:subject",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Set a subject's override: opt-in, opt-out or a pinned variant (creates or replaces)",
        params: parameters(OverrideParams),
        body: requestBody(OverrideRequestSchema, "OverrideRequest"),
        response: response({ 200: overrideAnswer, 201: overrideAnswer }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const { key, subject } = parse(OverrideParams, request.params, "path");
      const body = parse(OverrideRequestSchema, request.body, `override of flag "${key}" for subject "${subject}"`);
      const { override, created } = await overrides.put(key, subject, body, actorOf(request));
      reply.code(created ? 201 : 200);
      return override;
    },
  );

  app.delete(
    "/api/v1/flags/:key/overrides/:subject",
    {
      config: { scope: "write" },
      schema: {
        tags,
        summary: "Remove a subject's override",
        params: parameters(OverrideParams),
        response: response({ 204: "Removed" }, [400, 404]),
      },
    },
    async (request, reply) => {
      const { key, subject } = parse(OverrideParams, request.params, "path");
      await overrides.delete(key, subject, actorOf(request));
      return reply.code(204).send();
    },
  );
}
