import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { SCOPES } from "../auth/scopes.js";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";

const CreateBody = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  scope: z.enum(SCOPES),
});

const IdParams = z.strictObject({ id: z.string().min(1).max(200) });

/** Tokens (admin only): list, create (the secret is shown once), revoke. */
export function tokenRoutes(app: FastifyInstance, { tokens }: ServerContext): void {
  const tags = ["tokens"];

  app.get("/api/v1/tokens", { config: { scope: "admin" }, schema: { tags, summary: "List tokens (never their secrets)" } }, async () => ({
    tokens: await tokens.list(),
  }));

  app.post(
    "/api/v1/tokens",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Create a token; its secret is in this response only",
        body: z.toJSONSchema(CreateBody, { io: "input" }),
      },
    },
    async (request, reply) => {
      const { name, scope } = parse(CreateBody, request.body, "token");
      const created = await tokens.create(name, scope, actorOf(request));
      reply.code(201);
      return created;
    },
  );

  app.delete(
    "/api/v1/tokens/:id",
    { config: { scope: "admin" }, schema: { tags, summary: "Revoke a token (the last active admin token cannot be revoked)" } },
    async (request) => {
      const { id } = parse(IdParams, request.params, "path");
      return { token: await tokens.revoke(id, actorOf(request)) };
    },
  );
}
