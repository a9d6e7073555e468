import { LivenessSchema, ReadinessSchema } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { response } from "../openapi.js";

export function healthRoutes(app: FastifyInstance, { rulesets, dialect }: ServerContext): void {
  /** Liveness: the process answers. */
  app.get(
    "/healthz",
    {
      config: { scope: "public" },
      schema: { tags: ["health"], summary: "Liveness", response: response({ 200: [LivenessSchema, "Liveness", "The process answers"] }) },
    },
    async () => ({ status: "ok" }),
  );
  /** Readiness: the store answers too. */
  app.get(
    "/readyz",
    {
      config: { scope: "public" },
      schema: {
        tags: ["health"],
        summary: "Readiness: the store answers",
        response: response({ 200: [ReadinessSchema, "Readiness", "The store answers, at this revision"] }, [503]),
      },
    },
    async (_request, reply) => {
      try {
        const revision = await rulesets.revision();
        return { status: "ready", store: dialect, revision };
      } catch (error) {
        return reply.code(503).send({ code: "STORE_UNAVAILABLE", message: `the store does not answer: ${(error as Error).message}` });
      }
    },
  );
}
