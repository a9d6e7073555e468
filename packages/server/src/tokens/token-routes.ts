import {
  TokenCreatedSchema,
  TokenCreateRequestSchema,
  TokenIdParams,
  TokenListResponse,
  TokenRevokedSchema,
  WhoAmIResponse,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { actorOf, parse } from "../http.js";
import { parameters, requestBody, response } from "../openapi.js";

/** Tokens (admin only): list, create (the secret is shown once), revoke. */
export function tokenRoutes(app: FastifyInstance, { tokens }: ServerContext): void {
  const tags = ["tokens"];

  app.get(
    "/api/v1/whoami",
    {
      config: { scope: "read" },
      schema: {
        tags,
        summary: "The calling token's name and scope",
        response: response({ 200: [WhoAmIResponse, "WhoAmI", "Who the token is and what it may do"] }),
      },
    },
    async (request) => ({ name: request.caller!.name, scope: request.caller!.scope }),
  );

  app.get(
    "/api/v1/tokens",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "List tokens (never their secrets)",
        response: response({ 200: [TokenListResponse, "TokenList", "Every token, revoked ones included"] }),
      },
    },
    async () => ({ tokens: await tokens.list() }),
  );

  app.post(
    "/api/v1/tokens",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Create a token; its secret is in this response only",
        body: requestBody(TokenCreateRequestSchema, "TokenCreateRequest"),
        response: response({ 201: [TokenCreatedSchema, "TokenCreated", "The token and its secret (shown only here)"] }, [400]),
      },
    },
    async (request, reply) => {
      const { name, scope } = parse(TokenCreateRequestSchema, request.body, "token");
      const created = await tokens.create(name, scope, actorOf(request));
      reply.code(201);
      return created;
    },
  );

  app.delete(
    "/api/v1/tokens/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Revoke a token (the last active admin token cannot be revoked)",
        params: parameters(TokenIdParams),
        response: response({ 200: [TokenRevokedSchema, "TokenRevoked", "The token, revoked"] }, [400, 404, 409]),
      },
    },
    async (request) => {
      const { id } = parse(TokenIdParams, request.params, "path");
      return { token: await tokens.revoke(id, actorOf(request)) };
    },
  );
}
