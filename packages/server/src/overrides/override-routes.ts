import { KeySchema, OVERRIDE_SOURCES, OverrideSchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";

const FlagParams = z.strictObject({ key: KeySchema });
const SubjectParams = z.strictObject({
  key: KeySchema,
  subject: OverrideSchema.shape.subject,
});

const OverrideBody = z.strictObject({
  variant: KeySchema.optional(),
  source: z.enum(OVERRIDE_SOURCES, {
    error: (issue) =>
      issue.input === undefined
        ? `is required: one of ${OVERRIDE_SOURCES.join(", ")}`
        : `must be one of ${OVERRIDE_SOURCES.join(", ")}, got ${JSON.stringify(issue.input)}`,
  }),
});

export function overrideRoutes(app: FastifyInstance, { overrides }: ServerContext): void {
  const tags = ["overrides"];

  app.get(
    "/api/v1/flags/:key/overrides",
    { config: { scope: "read" }, schema: { tags, summary: "List a flag's per-subject overrides" } },
    async (request) => {
      const { key } = parse(FlagParams, request.params, "path");
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
        body: z.toJSONSchema(OverrideBody, { io: "input", unrepresentable: "any" }),
      },
    },
    async (request, reply) => {
      const { key, subject } = parse(SubjectParams, request.params, "path");
      const body = parse(OverrideBody, request.body, `override of flag "${key}" for subject "${subject}"`);
      const { override, created } = await overrides.put(key, subject, body, actorOf(request));
      reply.code(created ? 201 : 200);
      return override;
    },
  );

  app.delete(
    "/api/v1/flags/:key/overrides/:subject",
    { config: { scope: "write" }, schema: { tags, summary: "Remove a subject's override" } },
    async (request, reply) => {
      const { key, subject } = parse(SubjectParams, request.params, "path");
      await overrides.delete(key, subject, actorOf(request));
      return reply.code(204).send();
    },
  );
}
