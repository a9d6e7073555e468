import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";

export function healthRoutes(app: FastifyInstance, { rulesets, dialect }: ServerContext): void {
  /** Liveness: the process answers. */
  app.get("/healthz", { config: { scope: "public" }, schema: { tags: ["health"] } }, async () => ({ status: "ok" }));
  /** Readiness: the store answers too. */
  app.get("/readyz", { config: { scope: "public" }, schema: { tags: ["health"] } }, async (_request, reply) => {
    try {
      const revision = await rulesets.revision();
      return { status: "ready", store: dialect, revision };
    } catch (error) {
      return reply.code(503).send({ code: "STORE_UNAVAILABLE", message: `the store does not answer: ${(error as Error).message}` });
    }
  });
}
