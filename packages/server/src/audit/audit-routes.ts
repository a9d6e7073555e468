import { AuditListQuery, AuditPageSchema, FlagAuditQuery, KeyParams } from "@darklaunch/core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { parse } from "../http.js";
import { listEtag, NOT_MODIFIED } from "../list-etag.js";
import { parameters, response } from "../openapi.js";

const pageAnswer = [AuditPageSchema, "AuditPage", "Entries newest first; nextBefore fetches the next page, null on the last"] as const;

/** The audit log, newest first: who changed what, when, with the state before and after. */
export function auditRoutes(app: FastifyInstance, { audit }: ServerContext): void {
  const tags = ["audit"];

  app.get(
    "/api/v1/audit",
    {
      config: { scope: "read" },
      onSend: listEtag,
      schema: {
        tags,
        summary: "List audit entries, newest first (filter by target, actor, action, since/until as ISO dates or 1h/7d; page with before)",
        querystring: parameters(AuditListQuery),
        response: response({ 200: pageAnswer, 304: NOT_MODIFIED }, [400]),
      },
    },
    async (request) => audit.list(parse(AuditListQuery, request.query, "query")),
  );

  app.get(
    "/api/v1/flags/:key/audit",
    {
      config: { scope: "read" },
      onSend: listEtag,
      schema: {
        tags: ["flags", ...tags],
        summary: "The audit entries of one flag, newest first",
        params: parameters(KeyParams),
        querystring: parameters(FlagAuditQuery),
        response: response({ 200: pageAnswer, 304: NOT_MODIFIED }, [400, 404]),
      },
    },
    async (request) => {
      const { key } = parse(KeyParams, request.params, "path");
      const query = parse(FlagAuditQuery, request.query, "query");
      return audit.ofFlag(key, query);
    },
  );
}
