import {
  DarkLaunchError,
  TokenCreatedSchema,
  TokenCreateRequestSchema,
  TokenIdParams,
  TokenListResponse,
  TokenRevokedSchema,
} from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import { recordAudit } from "../audit/audit-store.js";
import type { ServerContext } from "../context.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { actorOf, parse } from "../http.js";
import { parameters, requestBody, response } from "../openapi.js";
import type { Database } from "../store/database.js";
import { createToken, getToken, listTokens, publicToken, revokeToken, type TokenInfo } from "./token-store.js";

/** 409: revoking a token twice. */
export class AlreadyRevokedError extends DarkLaunchError {
  constructor(token: TokenInfo) {
    super("ALREADY_REVOKED", 409, `token "${token.name}" (${token.id}) was already revoked at ${token.revokedAt}`);
  }
}

/**
 * Revokes a token in one transaction with its audit entry. The last active admin token cannot be
 * revoked: nobody could manage tokens any more.
 */
export async function revokeTokenAudited(database: Database, id: string, actor: string): Promise<TokenInfo> {
  return database.db.transaction().execute(async (trx) => {
    const current = await getToken(trx, id);
    if (!current) throw new NotFoundError("token", id);
    if (current.revokedAt !== null) throw new AlreadyRevokedError(publicToken(current));
    if (current.scope === "admin") {
      // Locks the active admin rows, so two concurrent revocations cannot both see "another admin
      // remains" and leave none (Postgres; SQLite runs one write transaction at a time anyway).
      let admins = trx.selectFrom("tokens").select("id").where("scope", "=", "admin").where("revoked_at", "is", null);
      if (database.dialect === "postgres") admins = admins.forUpdate();
      const active = await admins.execute();
      if (active.every((row) => row.id === id)) {
        throw new ConflictError(
          "IN_USE",
          `token "${current.name}" is the last active admin token; create another admin token before revoking it`,
        );
      }
    }
    if (!(await revokeToken(trx, id))) throw new AlreadyRevokedError(publicToken(current));
    const after = publicToken((await getToken(trx, id)) ?? current);
    await recordAudit(trx, { actor, action: "token.revoke", targetType: "token", targetKey: id, before: publicToken(current), after });
    return after;
  });
}

/** Tokens (admin only): list, create (the secret is shown once), revoke. */
export function tokenRoutes(app: FastifyInstance, { database }: ServerContext): void {
  const tags = ["tokens"];
  const db = database.db;

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
    async () => ({
      tokens: await listTokens(db),
    }),
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
      const created = await db.transaction().execute(async (trx) => {
        const result = await createToken(trx, name, scope);
        await recordAudit(trx, {
          actor: actorOf(request),
          action: "token.create",
          targetType: "token",
          targetKey: result.token.id,
          after: result.token,
        });
        return result;
      });
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
      return { token: await revokeTokenAudited(database, id, actorOf(request)) };
    },
  );
}
