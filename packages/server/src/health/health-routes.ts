import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { currentRevision } from "../store/revision.js";

export function healthRoutes(app: FastifyInstance, { database }: ServerContext): void {
  /** Liveness: the process answers. */
  app.get("/healthz", { config: { scope: "public" }, schema: { tags: ["health"] } }, async () => ({ status: "ok" }));
  /** Readiness: the store answers too. */
  app.get("/readyz", { config: { scope: "public" }, schema: { tags: ["health"] } }, async (_request, reply) => {
    try {
      const revision = await currentRevision(database.db);
      return { status: "ready", store: database.dialect, revision };
    } catch (error) {
      return reply.code(503).send({ code: "STORE_UNAVAILABLE", message: `the store does not answer: ${(error as Error).message}` });
    }
  });
}
